"""Procedural dSprites: the public factor grid, one image per combination, shapes, variants."""
import doctest

import numpy as np
import pytest

import latentdims.data.dsprites as dsprites
from latentdims.data.dsprites import (FACTOR_SIZES, N_IMAGES, DSprites, colour_dsprites,
                                      dsprites_classes_to_values, dsprites_factor_values,
                                      grid_classes_to_index, grid_index_to_classes,
                                      noisy_dsprites, render_dsprites, scream_dsprites,
                                      scream_stand_in_texture)


def test_doctests():
    assert doctest.testmod(dsprites).failed == 0


def test_factor_grid_is_the_public_one():
    assert np.prod(FACTOR_SIZES) == N_IMAGES == 737_280
    everything = np.arange(N_IMAGES)
    classes = grid_index_to_classes(everything, FACTOR_SIZES)
    # every combination exactly once, and back to the same index
    np.testing.assert_array_equal(grid_classes_to_index(classes, FACTOR_SIZES), everything)
    assert np.all(classes.max(axis=0) == np.array(FACTOR_SIZES) - 1) and classes.min() == 0
    # pos_y varies fastest, then pos_x, orientation, scale, shape (dSprites README)
    assert grid_classes_to_index([[0, 0, 0, 0, 1]], FACTOR_SIZES)[0] == 1
    assert grid_classes_to_index([[0, 0, 0, 1, 0]], FACTOR_SIZES)[0] == 32
    assert grid_classes_to_index([[0, 0, 1, 0, 0]], FACTOR_SIZES)[0] == 32 * 32
    assert grid_classes_to_index([[1, 0, 0, 0, 0]], FACTOR_SIZES)[0] == 6 * 40 * 32 * 32


def test_factor_values_follow_the_public_conventions():
    v = dsprites_factor_values()
    np.testing.assert_allclose(v["scale"], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert v["orientation"][0] == 0 and v["orientation"][-1] == pytest.approx(2 * np.pi)
    np.testing.assert_allclose(np.diff(v["orientation"]), 2 * np.pi / 39)
    assert v["pos_x"][0] == 0 and v["pos_y"][-1] == 1 and len(v["pos_x"]) == 32
    values = dsprites_classes_to_values([[2, 5, 39, 31, 0]])
    np.testing.assert_allclose(values, [[3.0, 1.0, 2 * np.pi, 1.0, 0.0]])


def test_images_are_binary_and_reproducible():
    idx = np.random.default_rng(0).integers(0, N_IMAGES, 300)
    classes = grid_index_to_classes(idx, FACTOR_SIZES)
    a = render_dsprites(classes)
    assert a.shape == (300, 64, 64) and a.dtype == np.uint8
    assert set(np.unique(a)) == {0, 1}
    assert a.sum(axis=(1, 2)).min() >= 30                 # every sprite is visible
    np.testing.assert_array_equal(a, render_dsprites(classes))
    # never clipped: no sprite pixel on the image border
    assert a[:, [0, -1], :].sum() == 0 and a[:, :, [0, -1]].sum() == 0


def test_one_distinct_image_per_factor_combination():
    # 1000 random combinations; orientation class 39 (2 pi) draws the same image as class 0
    rng = np.random.default_rng(1)
    classes = grid_index_to_classes(rng.choice(N_IMAGES, 1000, replace=False), FACTOR_SIZES)
    classes[:, 2] = np.minimum(classes[:, 2], 38)
    classes = np.unique(classes, axis=0)
    flat = render_dsprites(classes).reshape(len(classes), -1)
    assert len(np.unique(flat, axis=0)) == len(classes)
    # each step of scale or position changes the image
    base = classes[:200].copy()
    for col in (1, 3, 4):
        step = base.copy()
        step[:, col] = np.where(step[:, col] + 1 < FACTOR_SIZES[col], step[:, col] + 1,
                                step[:, col] - 1)
        changed = np.any(render_dsprites(step) != render_dsprites(base), axis=(1, 2))
        assert changed.all(), f"factor {col}"
    # the heart has no rotational symmetry: its 39 orientations in [0, 2 pi) all differ
    heart = render_dsprites([[2, 5, o, 16, 16] for o in range(40)]).reshape(40, -1)
    assert len(np.unique(heart[:39], axis=0)) == 39
    np.testing.assert_array_equal(heart[0], heart[39])


def test_shapes_are_distinguishable_and_have_their_areas():
    # centred, unrotated, scale 1 (R = 10 px): square side 14 px, ellipse semi-axes 9.5 x 5 px
    imgs = render_dsprites([[s, 5, 0, 16, 16] for s in range(3)])
    areas = imgs.sum(axis=(1, 2))
    assert areas[0] == 14 * 14
    assert areas[1] == pytest.approx(np.pi * 9.5 * 5, abs=6)
    assert len(set(areas.tolist())) == 3
    # at every scale, orientation and position drawn, the three shapes differ by many pixels
    rng = np.random.default_rng(2)
    for _ in range(20):
        rest = [rng.integers(6), rng.integers(40), rng.integers(32), rng.integers(32)]
        trio = render_dsprites([[s] + rest for s in range(3)]).astype(int)
        for i, j in ((0, 1), (0, 2), (1, 2)):
            assert np.abs(trio[i] - trio[j]).sum() >= 8
    # scale grows the area roughly as scale^2
    sq = render_dsprites([[0, k, 0, 16, 16] for k in range(6)]).sum(axis=(1, 2))
    assert np.all(np.diff(sq) > 0)
    assert sq[5] / sq[0] == pytest.approx(4, rel=0.15)


def test_positions_move_along_columns_and_rows():
    def centroid(img):
        r, c = np.nonzero(img)
        return c.mean(), r.mean()

    left, right = render_dsprites([[0, 2, 0, 0, 10], [0, 2, 0, 31, 10]])
    top, bottom = render_dsprites([[0, 2, 0, 10, 0], [0, 2, 0, 10, 31]])
    # centres run over [11, 53] px: 42 px from position 0 to position 1
    assert centroid(right)[0] - centroid(left)[0] == pytest.approx(42, abs=1)
    assert centroid(bottom)[1] - centroid(top)[1] == pytest.approx(42, abs=1)


def test_variants():
    binary = render_dsprites(grid_index_to_classes(np.arange(0, N_IMAGES, 50_000), FACTOR_SIZES))
    sprite = binary.astype(bool)
    col = colour_dsprites(binary, rng=3)
    assert col.shape == binary.shape + (3,) and col.dtype == np.float32
    assert np.all(col[~sprite] == 0)
    for img, mask in zip(col, sprite):
        colours = np.unique(img[mask], axis=0)
        assert len(colours) == 1 and np.all((colours >= 0.5) & (colours <= 1))
    noisy = noisy_dsprites(binary, rng=3)
    assert np.all(noisy[sprite] == 1)
    background = noisy[~sprite]
    assert background.min() >= 0 and background.max() < 1 and background.std() > 0.25
    scream = scream_dsprites(binary, rng=3)
    assert scream.min() >= 0 and scream.max() <= 1
    np.testing.assert_array_equal(scream, scream_dsprites(binary, rng=3))
    assert not np.array_equal(scream, scream_dsprites(binary, rng=4))


def test_scream_formula_on_a_constant_texture():
    # with a constant texture T = 0.2 every background pixel is g = (0.2 + a) / 2 with
    # a ~ U(0, 1)^3 per image, and every sprite pixel is 1 - g
    texture = np.full((80, 90, 3), 0.2, dtype=np.float32)
    binary = render_dsprites([[1, 3, 5, 10, 20], [2, 5, 0, 3, 3]])
    out = scream_dsprites(binary, rng=5, texture=texture)
    for img, mask in zip(out, binary.astype(bool)):
        g = np.unique(img[~mask], axis=0)
        assert len(g) == 1 and np.all((g >= 0.1) & (g <= 0.6))
        np.testing.assert_allclose(np.unique(img[mask], axis=0), 1 - g, rtol=1e-6)
    assert not np.allclose(out[0, 0, 0], out[1, 0, 0])        # one colour per image


def test_stand_in_texture():
    t = scream_stand_in_texture()
    assert t.shape == (274, 350, 3) and t.min() >= 0 and t.max() <= 1
    assert t.std(axis=(0, 1)).min() > 0.05


def test_lazy_dataset():
    ds = DSprites("colour")
    assert len(ds) == N_IMAGES and ds.channels == 3
    x = ds.images([5, 6], rng=0)
    assert x.shape == (2, 64, 64, 3)
    with pytest.raises(ValueError, match="pass `rng`"):
        ds.images([5])
    x1, y1 = DSprites().sample(16, rng=7)
    x2, y2 = DSprites().sample(16, rng=7)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(x1[..., 0], render_dsprites(y1))


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"image index 737280 is out of range"):
        grid_index_to_classes([737280], FACTOR_SIZES)
    with pytest.raises(TypeError, match="must be integers"):
        grid_index_to_classes([1.5], FACTOR_SIZES)
    with pytest.raises(ValueError, match=r"factor 2 of row 0 is 40; it must lie in \[0, 39\]"):
        render_dsprites([[0, 0, 40, 0, 0]])
    with pytest.raises(ValueError, match="must have 5 columns"):
        render_dsprites([[0, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"shape \(N, 64, 64\)"):
        colour_dsprites(np.zeros((2, 32, 32)), rng=0)
    with pytest.raises(ValueError, match="must be binary"):
        noisy_dsprites(np.full((1, 64, 64), 0.5), rng=0)
    with pytest.raises(ValueError, match=r"H, W >= 64"):
        scream_dsprites(np.zeros((1, 64, 64)), rng=0, texture=np.zeros((32, 90, 3)))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        scream_dsprites(np.zeros((1, 64, 64)), rng=0, texture=np.full((64, 64, 3), 255.0))
    with pytest.raises(ValueError, match="unknown `variant` 'color'"):
        DSprites("color")
