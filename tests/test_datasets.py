"""Datasets: offline-first search, SHA-256 checks, atomic downloads, the array cache."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io

import numpy as np
import pytest

from brainkit import datasets
from brainkit.datasets import DataNotFoundError, DatasetError, IntegrityError
from brainkit.datasets._mnist_family import FASHION_MNIST, MNIST, IdxFile, load_mnist_family


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_set(seed: int = 0, n_train: int = 12, n_test: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


FILENAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def tiny_spec(arrays, tmp_path, name="tiny_fashion"):
    """A Fashion-MNIST-like spec whose hashes match ``arrays`` and whose system dir is empty."""
    files = tuple(
        IdxFile(role, FILENAMES[role], hashlib.sha256(idx_bytes(a)).hexdigest(), a.ndim) for role, a in arrays.items()
    )
    return dataclasses.replace(
        FASHION_MNIST,
        name=name,
        idx_files=files,
        system_dirs=(str(tmp_path / "no-system"),),
        n_train=len(arrays["x_train"]),
        n_test=len(arrays["x_test"]),
    )


def write_idx_files(folder, arrays, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    for role, array in arrays.items():
        payload = idx_bytes(array)
        name = FILENAMES[role] if compress else FILENAMES[role].removesuffix(".gz")
        (folder / name).write_bytes(gzip.compress(payload) if compress else payload)


def no_partial_files(folder):
    return not any(p.name.endswith(".part") for p in folder.rglob("*")) if folder.exists() else True


# --- the real data -------------------------------------------------------------------------


def test_real_fashion_mnist_from_debian_then_from_cache(isolated_data, real_fashion_dir):
    first = datasets.load("fashion_mnist", download=False)
    assert first.source == "system" and str(real_fashion_dir) in first.location
    assert first.x_train.shape == (60000, 28, 28) and first.x_train.dtype == np.uint8
    assert first.y_train.shape == (60000,) and first.y_test.shape == (10000,)
    assert first.x_test.shape == (10000, 28, 28)
    assert np.bincount(first.y_train).tolist() == [6000] * 10
    assert first.class_names[0] == "T-shirt/top" and first.class_names[9] == "Ankle boot"
    assert int(first.y_train[0]) == 9  # the first training image is an ankle boot

    second = datasets.load("fashion_mnist", download=False)
    assert second.source == "cache" and str(isolated_data) in second.location
    for role in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, role), getattr(second, role))
    assert second.x_train.flags.writeable  # copy-on-write: learners may edit their arrays
    second.x_train[0, 0, 0] = 255
    assert datasets.load("fashion_mnist", download=False).x_train[0, 0, 0] == first.x_train[0, 0, 0]


def test_keras_drop_in_returns_keras_tuple(isolated_data, real_fashion_dir):
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data(download=False)
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8


def test_damaged_cache_is_rebuilt_not_trusted(isolated_data, real_fashion_dir):
    datasets.load("fashion_mnist", download=False)
    npy = next(isolated_data.glob("fashion_mnist/arrays-v*/x_test.npy"))
    npy.write_bytes(npy.read_bytes()[:1000])  # truncated by a crash or a full disk
    again = datasets.load("fashion_mnist", download=False)
    assert again.source == "system" and again.x_test.shape == (10000, 28, 28)
    assert datasets.load("fashion_mnist", download=False).source == "cache"


def test_sample_loads_with_no_files_and_no_network(isolated_data, monkeypatch):
    monkeypatch.setenv("BRAINKIT_OFFLINE", "1")
    sample = datasets.load("fashion_mnist_sample")
    assert sample.source == "embedded"
    assert sample.x_train.shape == (5000, 28, 28) and sample.x_test.shape == (1000, 28, 28)
    assert np.bincount(sample.y_train).tolist() == [500] * 10
    assert np.bincount(sample.y_test).tolist() == [100] * 10
    assert sample.class_names == FASHION_MNIST.class_names


def test_sample_is_a_subset_of_the_real_data(isolated_data, real_fashion_dir):
    sample = datasets.load("fashion_mnist_sample")
    full = datasets.load("fashion_mnist", download=False)
    np.testing.assert_array_equal(full.x_train[sample.extra["train_index"]], sample.x_train)
    np.testing.assert_array_equal(full.y_test[sample.extra["test_index"]], sample.y_test)


def test_list_and_unknown_name():
    names = datasets.list_datasets()
    assert {"fashion_mnist", "mnist", "fashion_mnist_sample", "hotdog"} <= set(names)
    with pytest.raises(DatasetError, match="Did you mean 'fashion_mnist'"):
        datasets.load("fashon_mnist")


def test_status_does_not_parse(isolated_data):
    status = {s.name: s for s in datasets.dataset_status()}
    assert status["fashion_mnist_sample"].state == "embedded"
    assert status["mnist"].state in {"missing, downloadable", "missing (offline)", "found, verified on first load"}


# --- local files: data_dir, corrupt and truncated files ------------------------------------


def test_data_dir_is_searched_first_and_never_written(isolated_data, tmp_path):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    folder = tmp_path / "mine"
    write_idx_files(folder, arrays, compress=False)  # plain IDX files work too
    before = sorted(p.name for p in folder.iterdir())
    data = load_mnist_family(spec, data_dir=folder, download=False)
    assert data.source == "data_dir" and data.location == str(folder)
    np.testing.assert_array_equal(data.x_train, arrays["x_train"])
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not (isolated_data / spec.name).exists()


def test_wrong_hash_file_is_refused_with_its_name(isolated_data, tmp_path):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    folder = tmp_path / "mine"
    write_idx_files(folder, tiny_set(seed=1))  # valid IDX files, different contents
    with pytest.raises(IntegrityError, match=r"train-images-idx3-ubyte\.gz has the wrong contents"):
        load_mnist_family(spec, data_dir=folder, download=False)


def test_truncated_gzip_is_refused(isolated_data, tmp_path):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    folder = tmp_path / "mine"
    write_idx_files(folder, arrays)
    path = folder / FILENAMES["x_test"]
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(IntegrityError, match="truncated or corrupt"):
        load_mnist_family(spec, data_dir=folder, download=False)


def test_bad_idx_header_is_refused():
    from brainkit.datasets._idx import parse_idx

    with pytest.raises(IntegrityError, match="IDX header"):
        parse_idx(b"PK\x03\x04" + bytes(100), "x.idx", 3)
    good = idx_bytes(np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(IntegrityError, match="truncated"):
        parse_idx(good[:-5], "x.idx", 3)


def test_mismatched_counts_are_refused(isolated_data, tmp_path):
    arrays = tiny_set()
    arrays["y_train"] = arrays["y_train"][:-1]
    spec = tiny_spec(arrays, tmp_path)
    spec = dataclasses.replace(spec, n_train=12)
    folder = tmp_path / "mine"
    write_idx_files(folder, arrays)
    with pytest.raises(IntegrityError, match="do not belong together"):
        load_mnist_family(spec, data_dir=folder, download=False)


def test_missing_everywhere_offline_lists_places_and_fixes(isolated_data, tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINKIT_OFFLINE", "1")
    spec = tiny_spec(tiny_set(), tmp_path)
    with pytest.raises(DataNotFoundError) as info:
        load_mnist_family(spec)
    message = str(info.value)
    assert "Looked in" in message and str(isolated_data) in message and "no-system" in message
    assert "Downloading is off" in message
    assert "apt-get install dataset-fashion-mnist" in message and "fashion_mnist_sample" in message


def test_data_dir_that_is_not_a_folder(tmp_path):
    with pytest.raises(DataNotFoundError, match="is not a folder"):
        datasets.load("fashion_mnist", data_dir=tmp_path / "nope")


# --- downloads against a local HTTP server --------------------------------------------------


def test_download_right_hash_then_cache(isolated_data, tmp_path, http_mirror):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    write_idx_files(http_mirror.root, arrays)
    data = load_mnist_family(spec, mirrors=[http_mirror.url], quiet=True)
    assert data.source == "download"
    np.testing.assert_array_equal(data.y_test, arrays["y_test"])
    assert sorted(p.name for p in (isolated_data / spec.name).glob("*.gz")) == sorted(FILENAMES.values())
    assert len(http_mirror.requests) == 4
    again = load_mnist_family(spec, mirrors=[http_mirror.url], quiet=True)
    assert again.source == "cache" and len(http_mirror.requests) == 4  # no second download
    assert no_partial_files(isolated_data)


def test_download_wrong_hash_leaves_nothing_trusted(isolated_data, tmp_path, http_mirror):
    spec = tiny_spec(tiny_set(), tmp_path)
    write_idx_files(http_mirror.root, tiny_set(seed=7))  # the mirror serves other data
    with pytest.raises(DataNotFoundError, match="served the wrong bytes"):  # checked before it is kept
        load_mnist_family(spec, mirrors=[http_mirror.url], quiet=True)
    folder = isolated_data / spec.name
    assert not list(folder.glob("train-images*")), "a bad download must be deleted"
    assert not list(folder.glob("arrays-v*/manifest.json"))
    assert no_partial_files(isolated_data)


def test_truncated_download_is_discarded(isolated_data, tmp_path, http_mirror):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    write_idx_files(http_mirror.root, arrays)
    with pytest.raises(DataNotFoundError, match="transfer ended|IncompleteRead|Downloads failed"):
        load_mnist_family(spec, mirrors=[http_mirror.url + "short/"], quiet=True)
    assert not list((isolated_data / spec.name).glob("*.gz"))
    assert no_partial_files(isolated_data)


def test_server_error_then_next_mirror(isolated_data, tmp_path, http_mirror):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    write_idx_files(http_mirror.root, arrays)
    with pytest.raises(DataNotFoundError, match="HTTP 500"):
        load_mnist_family(spec, mirrors=[http_mirror.url + "fail/"], quiet=True)
    data = load_mnist_family(spec, mirrors=[http_mirror.url + "fail/", http_mirror.url], quiet=True)
    assert data.source == "download"


def test_unreachable_mirror_message(isolated_data, tmp_path):
    spec = tiny_spec(tiny_set(), tmp_path)
    with pytest.raises(DataNotFoundError) as info:
        load_mnist_family(spec, mirrors=["http://127.0.0.1:9/"], quiet=True)
    assert "Downloads failed" in str(info.value) and "127.0.0.1:9" in str(info.value)


def test_mirrors_from_environment(isolated_data, tmp_path, http_mirror, monkeypatch):
    arrays = tiny_set()
    spec = tiny_spec(arrays, tmp_path)
    write_idx_files(http_mirror.root, arrays)
    monkeypatch.setenv("BRAINKIT_MIRRORS", http_mirror.url)
    assert load_mnist_family(spec, quiet=True).source == "download"


def test_mnist_npz_download_and_hash(isolated_data, tmp_path, http_mirror):
    arrays = tiny_set(n_train=10, n_test=5)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (http_mirror.root / "mnist.npz").write_bytes(buffer.getvalue())
    spec = dataclasses.replace(
        MNIST, name="tiny_mnist", npz_sha256=hashlib.sha256(buffer.getvalue()).hexdigest(),
        system_dirs=(), n_train=10, n_test=5,
    )
    data = load_mnist_family(spec, mirrors=[http_mirror.url], quiet=True)
    np.testing.assert_array_equal(data.x_train, arrays["x_train"])
    assert data.class_names[3] == "3"
    bad = dataclasses.replace(spec, name="tiny_mnist_bad", npz_sha256="0" * 64)
    with pytest.raises(DataNotFoundError, match="served the wrong bytes"):
        load_mnist_family(bad, mirrors=[http_mirror.url], quiet=True)
    assert not (isolated_data / "tiny_mnist_bad" / "mnist.npz").exists()
