from render import seeding


def test_frame_seeds_are_stable_and_distinct():
    # pinned values: a numpy or Python upgrade must not silently change every dataset
    seeds = {seeding.frame_seed(0, i) for i in range(1, 1001)}
    assert len(seeds) == 1000
    assert seeding.frame_seed(0, 1) != seeding.frame_seed(1, 1)
    assert seeding.frame_seed(0, 1) == PINNED


def test_streams_are_independent_and_repeatable():
    a = seeding.stream(123, "camera").random(4)
    b = seeding.stream(123, "camera").random(4)
    c = seeding.stream(123, "lights").random(4)
    assert (a == b).all() and not (a == c).any()


PINNED = 673228719  # SeedSequence(entropy=0, spawn_key=(1,)), first 31 bits
