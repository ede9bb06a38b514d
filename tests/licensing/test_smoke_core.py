from licensing import selectors
from licensing.demo_fixtures import licensing_objects


def test_fixture_objects_and_status(world):
    objects = licensing_objects(world.a.msp)
    statuses = selectors.subscription_statuses(organisation=world.a.msp)
    assert [(s.owned, s.assigned, s.free, s.peak_year.units) for s in statuses] == [(2, 1, 1, 1)]
    assert licensing_objects(world.a.distributor)["product"] == objects["product"]
