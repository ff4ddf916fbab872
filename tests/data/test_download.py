"""Downloads against a local HTTP server: success, truncation, bad checksum, offline."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from carve.data import get_dataset
from carve.data.download import Checksum, DownloadError, download
from carve.errors import CarveError


class _Files(BaseHTTPRequestHandler):
    """Serves ``server.files[path] = (body, advertised_length)``; 404 otherwise."""

    def do_GET(self):
        entry = self.server.files.get(self.path)
        if entry is None:
            self.send_error(404, "not here")
            return
        body, advertised = entry
        self.send_response(200)
        self.send_header("Content-Length", str(advertised))
        self.end_headers()
        self.wfile.write(body)  # fewer bytes than advertised = truncated transfer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.files = {}
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _serve(server, path, body, advertised=None):
    server.files[path] = (body, len(body) if advertised is None else advertised)
    return server.url + path


def test_download_verifies_and_moves_into_place(server, tmp_path):
    body = bytes(range(256)) * 5000
    url = _serve(server, "/data.bin", body)
    digest = Checksum("sha256", hashlib.sha256(body).hexdigest())
    target = download(url, tmp_path / "cache" / "data.bin", checksum=digest, progress=False)
    assert target.read_bytes() == body
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.bin"]


def test_truncated_transfer_fails_and_leaves_nothing(server, tmp_path):
    url = _serve(server, "/cut.bin", b"x" * 1000, advertised=5000)
    with pytest.raises(DownloadError, match=r"cut short|incomplete"):
        download(url, tmp_path / "cache" / "cut.bin", progress=False)
    assert list((tmp_path / "cache").iterdir()) == []


def test_wrong_checksum_fails_and_leaves_nothing(server, tmp_path):
    url = _serve(server, "/bad.bin", b"payload")
    with pytest.raises(DownloadError, match="corrupt: md5"):
        download(
            url, tmp_path / "c" / "bad.bin", checksum=Checksum("md5", "0" * 32), progress=False
        )
    assert list((tmp_path / "c").iterdir()) == []


def test_wrong_expected_size_and_http_errors(server, tmp_path):
    url = _serve(server, "/small.bin", b"12345")
    with pytest.raises(DownloadError, match="expected size"):
        download(url, tmp_path / "small.bin", expected_size=6, progress=False)
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(server.url + "/absent", tmp_path / "absent", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_checksum_text_is_validated():
    assert Checksum.parse("sha256:AB") == Checksum("sha256", "ab")
    with pytest.raises(CarveError, match="md5:<hex>"):
        Checksum.parse("crc32:1234")


def test_jsc_downloads_once_then_uses_cache(server, private_cache, tmp_path, jsc_files):
    features, labels = jsc_files.known_rows(100)
    body = jsc_files.write_arff(tmp_path / "x.arff", features, labels).read_bytes()
    url = _serve(server, "/hls4ml_lhc_jets_hlf.arff", body)
    checksum = f"md5:{hashlib.md5(body).hexdigest()}"
    data = get_dataset("jsc", download_url=url, checksum=checksum, progress=False)
    assert (private_cache / "jsc" / "hls4ml_lhc_jets_hlf.arff").read_bytes() == body
    assert sum(len(s) for s in (data.train, data.val, data.test)) == 100
    del server.files["/hls4ml_lhc_jets_hlf.arff"]  # a second start needs no network
    again = get_dataset("jsc", download_url=url, checksum=checksum, progress=False)
    assert np.array_equal(again.test.x.numpy(), data.test.x.numpy())


def test_jsc_openml_metadata_gives_url_and_md5(
    server, private_cache, tmp_path, jsc_files, monkeypatch
):
    from carve.data import jsc_sources

    features, labels = jsc_files.known_rows(50)
    body = jsc_files.write_arff(tmp_path / "x.arff", features, labels).read_bytes()
    file_url = _serve(server, "/download/1/hls4ml_lhc_jets_hlf.arff", body)
    description = {"url": file_url, "md5_checksum": "f" * 32}
    meta = {"data_set_description": description}
    meta_url = _serve(server, "/api/42468", json.dumps(meta).encode())
    openml = dataclasses.replace(jsc_sources.SOURCES["openml"], metadata_url=meta_url)
    monkeypatch.setitem(jsc_sources.SOURCES, "openml", openml)
    with pytest.raises(CarveError, match=r"corrupt: md5 .* != expected f{32}") as error:
        get_dataset("jsc", progress=False)
    assert "jsc-synth" in str(error.value)
    description["md5_checksum"] = hashlib.md5(body).hexdigest()
    _serve(server, "/api/42468", json.dumps(meta).encode())
    assert len(get_dataset("jsc", progress=False).test) == 10
    assert sorted(p.name for p in (private_cache / "jsc").iterdir()) == [
        "hls4ml_lhc_jets_hlf.arff",
        "processed",
    ]


def test_offline_message_says_what_where_and_jsc_synth(private_cache):
    closed = "http://127.0.0.1:9/hls4ml_lhc_jets_hlf.arff"  # discard port: nothing listens
    with pytest.raises(CarveError) as error:
        get_dataset("jsc", download_url=closed, progress=False)
    message = str(error.value)
    for needed in (
        "openml.org/d/42468",
        "cernbox.cern.ch",
        str(private_cache / "jsc"),
        "--data-path",
        "jsc-synth",
    ):
        assert needed in message
    assert "\n" not in message
    assert not (private_cache / "jsc").exists() or not any((private_cache / "jsc").iterdir())
