"""Demo invoicing (placeholder until the demo part is written)."""


def invoicing_demo_load() -> dict[str, int]:
    return {}
