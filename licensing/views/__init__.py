"""Pages of licensing, one module per area (licenses and subscriptions, cost centers,
catalog and purchases)."""
