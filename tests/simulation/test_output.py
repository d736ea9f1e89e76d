"""Writers: MRC files placed in their volume, exact header statistics, stable bytes."""

from __future__ import annotations

import io
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from simulation.output import file_record, write_volume


def test_a_slab_lands_in_its_volume_with_exact_statistics(tmp_path: Path) -> None:
    slab = np.random.default_rng(0).normal(3.0, 2.0, size=(4, 6, 5)).astype(np.float32)
    write_volume(tmp_path / "v.mrc", slab, 1.5, shape=(10, 6, 5), z_start=3)
    with mrcfile.open(tmp_path / "v.mrc") as mrc:
        full = np.zeros((10, 6, 5), dtype=np.float32)
        full[3:7] = slab
        assert np.array_equal(mrc.data, full)
        assert mrc.voxel_size.x == pytest.approx(15.0)
        assert mrc.header.dmin == pytest.approx(min(0.0, float(slab.min())))
        assert mrc.header.dmax == pytest.approx(float(slab.max()))
        assert mrc.header.dmean == pytest.approx(float(full.mean()), rel=1e-5)
        assert mrc.header.rms == pytest.approx(float(full.std()), rel=1e-5)
        assert mrc.header.label[0] == b"tomobench simulator 1.0.0"
    assert mrcfile.validate(str(tmp_path / "v.mrc"), print_file=io.StringIO())


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.float32])
def test_label_volumes_keep_their_type(tmp_path: Path, dtype: type) -> None:
    data: np.ndarray = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(dtype)
    write_volume(tmp_path / "m.mrc", data, 1.0)
    with mrcfile.open(tmp_path / "m.mrc") as mrc:
        assert mrc.data.dtype == dtype
        assert np.array_equal(mrc.data, data)


def test_equal_data_give_equal_bytes(tmp_path: Path) -> None:
    data = np.ones((3, 4, 5), dtype=np.float32)
    write_volume(tmp_path / "a.mrc", data, 1.0)
    write_volume(tmp_path / "b.mrc", data, 1.0)
    assert file_record(tmp_path / "a.mrc") == file_record(tmp_path / "b.mrc")


def test_data_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="do not fit"):
        write_volume(
            tmp_path / "x.mrc", np.zeros((4, 6, 5), np.float32), 1.0, shape=(5, 6, 5), z_start=2
        )
