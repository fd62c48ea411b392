import io
import json

from invoices.extraction.cli import main

from .documents import image_only_pdf


def _run(arguments: list[str]) -> tuple[int, list[dict]]:
    output = io.StringIO()
    status = main(arguments, stdout=output)
    return status, [json.loads(line) for line in output.getvalue().splitlines()]


def test_one_json_object_per_file(fixture_folder):
    files = [str(fixture_folder / "mustang_re508_2020.pdf"), str(fixture_folder / "i2d_saeco.pdf")]
    status, objects = _run(files)
    assert status == 0
    assert [item["source"] for item in objects] == ["embedded_xml", "layout"]
    assert objects[0]["schema"] == "ap-invoice-extraction/v1"
    assert objects[0]["invoice_number"] == "RE-20201121/508"
    assert objects[0]["file"] == files[0]


def test_layout_only_flag(fixture_folder):
    status, objects = _run([str(fixture_folder / "mustang_re508_2020.pdf"), "--layout-only"])
    assert (status, objects[0]["source"], objects[0]["total"]) == (0, "layout", "571.04")


def test_bad_files_print_an_error_and_fail_at_the_end(tmp_path, fixture_folder):
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    files = [str(tmp_path / "empty.pdf"), str(tmp_path / "photo.pdf"), str(tmp_path / "missing.pdf")]
    status, objects = _run([*files, str(fixture_folder / "i2d_oyo.pdf")])
    assert status == 1
    assert objects[0] == {"file": files[0], "error": "The file is empty.", "problem": "empty"}
    assert objects[1]["error"] == "The file is not a PDF (it looks like a PNG image)."
    assert objects[2] == {
        "file": files[2],
        "error": "The file could not be read: No such file or directory.",
        "problem": "unreadable",
    }
    assert objects[3]["invoice_number"] == "IBZY2087"


def test_scanned_pdf_is_reported_for_manual_entry(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(image_only_pdf())
    status, objects = _run([str(tmp_path / "scan.pdf")])
    assert status == 0
    assert objects[0]["needs_manual_entry"] == "no text layer: manual entry or OCR needed"
    assert objects[0]["total"] is None
