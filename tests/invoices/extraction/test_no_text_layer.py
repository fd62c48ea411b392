from invoices.extraction import NO_TEXT_LAYER_REASON, ExtractionSource, invoice_extract, pdf_safety_check

from .documents import image_only_pdf


def test_image_only_pdf_is_flagged_for_manual_entry():
    data = image_only_pdf()
    assert pdf_safety_check(data).ok
    result = invoice_extract(data)
    assert result.needs_manual_entry is True
    assert result.manual_entry_reason == NO_TEXT_LAYER_REASON == "no text layer: manual entry or OCR needed"
    assert result.has_text_layer is False
    assert result.source == ExtractionSource.LAYOUT
    assert result.page_count == 1
    assert result.to_schema_dict()["total"] is None


def test_unreadable_bytes_become_a_manual_entry_result_not_an_exception():
    for data in (b"", b"%PDF-1.4\n garbage", b"not a pdf at all"):
        result = invoice_extract(data)
        assert result.needs_manual_entry is True
        assert result.manual_entry_reason.startswith("unreadable PDF: ")
        assert result.has_text_layer is False


def test_text_without_invoice_fields_asks_for_manual_entry():
    from .documents import text_pdf

    result = invoice_extract(text_pdf(["Dear customer,", "thank you for your order."]))
    assert result.has_text_layer is True
    assert result.needs_manual_entry is True
    assert result.manual_entry_reason == "invoice number and total not found in the text layer"


def test_text_in_fonts_without_unicode_map_asks_for_manual_entry(monkeypatch):
    from invoices.extraction import UNREADABLE_TEXT_REASON, layout

    from .documents import text_pdf

    original = layout.layout_page_build

    def unmapped(number, width, height, raw_words):
        return original(number, width, height, [dict(word, text="(cid:12)(cid:7)") for word in raw_words])

    monkeypatch.setattr(layout, "layout_page_build", unmapped)
    result = invoice_extract(text_pdf(["INVOICE", "Invoice No: 77", "Total 10.00"]))
    assert (result.needs_manual_entry, result.has_text_layer) == (True, True)
    assert result.manual_entry_reason == UNREADABLE_TEXT_REASON


def test_password_protected_pdf_asks_for_manual_entry():
    import io

    import pypdf

    from .documents import pdf_bytes_of, text_pdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(text_pdf(["Invoice No: 77"]))))
    writer.encrypt("secret", algorithm="AES-128")
    result = invoice_extract(pdf_bytes_of(writer))
    assert result.needs_manual_entry is True
    assert (
        result.manual_entry_reason == "password protected PDF: ask the sender for a copy without a password"
    )
