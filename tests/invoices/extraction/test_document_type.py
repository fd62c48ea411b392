from invoices.extraction.embedded_xml import XmlInvoice
from invoices.extraction.layout_parties import CREDIT_MEMO, INVOICE, document_type_read

from .documents import document_make


def test_credit_note_titles_in_each_language():
    for title in ("CREDIT NOTE", "Credit memo", "Gutschrift", "Avoir", "Facture d'avoir", "Creditnota"):
        document = document_make(["Acme Ltd", title, "Number: 12"])
        assert document_type_read(document, total_negative=False).value == CREDIT_MEMO, title


def test_french_verb_avoir_is_not_a_credit_note():
    document = document_make(["Acme SARL", "FACTURE", "Pour avoir un compte client"])
    assert document_type_read(document, total_negative=False).value == INVOICE
    document = document_make(["Acme SARL", "Avoir un compte client en ligne"])
    assert document_type_read(document, total_negative=False).value == INVOICE
    document = document_make(["Acme SARL", "AVOIR N° 2024-12"])
    assert document_type_read(document, total_negative=False).value == CREDIT_MEMO


def test_credit_word_in_a_sentence_is_not_a_title():
    document = document_make(
        ["Acme Ltd", "INVOICE", "A credit note will follow for any returned goods within the term."]
    )
    assert document_type_read(document, total_negative=False).value == INVOICE


def test_credit_word_starting_a_phrase_with_a_number_is_a_title():
    document = document_make(
        ["Acme Ltd  Gutschrift Nr. 4711 vom 01.02.2024 zur Rechnung 4700 und Lieferung 12"]
    )
    assert document_type_read(document, total_negative=False).value == CREDIT_MEMO


def test_negative_total_means_credit_memo():
    document = document_make(["Acme Ltd", "INVOICE", "Number: 12"])
    found = document_type_read(document, total_negative=True)
    assert (found.value, found.confidence) == (CREDIT_MEMO, 0.7)
    assert document_type_read(document, total_negative=False).value == INVOICE


def test_xml_type_codes():
    def invoice(type_code, syntax="cii"):
        return XmlInvoice(syntax, *([None] * 12), type_code, ())

    assert invoice("381").is_credit_note
    assert not invoice("380").is_credit_note
    assert not invoice("384").is_credit_note
    assert invoice(None, "ubl-creditnote").is_credit_note
