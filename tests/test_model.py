"""The typed model: lossless both ways, valid output, round trips over generated models."""

from __future__ import annotations

import datetime as dt

from conftest import conformance_documents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import ublbatch
from ublbatch.model import (
    ApplicationResponse,
    Attachment,
    BinaryObject,
    DocumentReference,
    DocumentResponse,
    ExternalReference,
    LineReference,
    LineResponse,
    Party,
    Response,
    Status,
    Value,
    parse_time,
    value,
)
from ublbatch.schemas import document_schema


def canonical(element: etree._Element) -> tuple[object, ...]:
    """Elements, attributes and leaf text; white space between elements and comments ignored."""
    children = [c for c in element if isinstance(c.tag, str)]
    text = None if children else (element.text or "")
    return (element.tag, tuple(sorted(element.attrib.items())), text, tuple(canonical(c) for c in children))


def test_every_peppol_response_round_trips_to_equivalent_xml() -> None:
    for path in conformance_documents():
        data = path.read_bytes()
        model = ApplicationResponse.from_xml(data)
        again = model.to_xml()
        assert canonical(etree.fromstring(data)) == canonical(etree.fromstring(again)), path.name
        assert ApplicationResponse.from_xml(again).to_dict() == model.to_dict(), path.name
        assert ApplicationResponse.from_dict(model.to_dict()).to_xml() == again, path.name


def test_fields_read_from_a_peppol_response() -> None:
    path = next(p for p in conformance_documents() if p.name == "T111-uc004a-Invoice-is-rejected.xml")
    model = ApplicationResponse.from_xml(path.read_bytes())
    assert model.id == "imrid001" and model.issue_date == dt.date(2017, 12, 1)
    assert model.customization_id == "urn:fdc:peppol.eu:poacc:trns:invoice_response:3"
    assert model.sender is not None and model.sender.endpoint_id == "6963495890"
    assert model.sender.endpoint_id is not None and model.sender.endpoint_id.scheme_id == "0196"
    status = next(model.statuses())
    assert status.reason_code == "REF" and isinstance(status.reason_code, Value)
    assert status.reason_code.list_id == "OPStatusReason"  # Peppol's list, not Google's: kept as written
    response = model.document_responses[0].response
    assert response is not None and response.response_code == "RE"
    # what the model does not cover is kept in place
    assert model.sender.extras and b"RegistrationName" in model.sender.extras[0].xml


def test_google_shapes_read_into_enums_and_values() -> None:
    with ublbatch.read_batch("fixtures/google-success.xml") as batch:
        model = next(iter(batch)).model()
    assert model.id is None and model.uuid == "GVR-0001-2024-000118"
    assert model.issue_time == dt.time(8, 15, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    status = next(model.statuses())
    assert status.reason_code is ublbatch.StatusReasonCode.NON
    assert status.reason == "Invoice registered with the tax authority"
    reference = model.document_responses[0].document_references[0]
    assert reference.id == "4512339876"
    assert reference.id is not None and reference.id.scheme_id == "GoogleInvoiceNumber"
    assert reference.document_type_code == "380" and reference.document_type == "Invoice"
    assert reference.attachment is not None and reference.attachment.external_reference is not None
    assert reference.attachment.external_reference.file_name == "4512339876.pdf"
    assert model.sender is not None and model.sender.name == "Acme E-Invoicing Services"


def test_times_keep_their_offset_and_form() -> None:
    for text in ("10:30:00Z", "10:30:00+05:30", "10:30:00-03:00", "10:30:00", "10:30:00.25", "23:59:59.123456+00:00"):
        model = ApplicationResponse(id="A", issue_date=dt.date(2024, 1, 1), issue_time=parse_time(text),
                                    sender="V", receiver="G")
        written = model.to_xml()
        assert f"<cbc:IssueTime>{text}</cbc:IssueTime>".encode() in written
        assert ApplicationResponse.from_xml(written).issue_time == parse_time(text)


def test_invalid_leaf_values_are_kept_not_lost() -> None:
    data = (b'<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" '
            b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
            b"<cbc:ID>X</cbc:ID><cbc:IssueDate>2024-13-45</cbc:IssueDate></ApplicationResponse>")
    model = ApplicationResponse.from_xml(data)
    assert model.issue_date is None and len(model.extras) == 1
    assert b"2024-13-45" in model.to_xml()


# -- generated models ---------------------------------------------------------------------------

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,20}", fullmatch=True)
offsets = st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30)),
                           dt.timezone(dt.timedelta(hours=-8))])
times = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59),
                  st.sampled_from([0, 500000, 123456]), offsets)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))
codes = st.sampled_from([c.value for c in ublbatch.StatusReasonCode] + ["XYZ"])


def parties(cls: type[Party]) -> st.SearchStrategy[Party]:
    return st.builds(cls, names=st.lists(texts, max_size=2), endpoint_id=st.none() | ids.map(
        lambda i: value(i, schemeID="0088")), identifiers=st.lists(ids, max_size=2))


statuses = st.builds(Status, reason_code=st.none() | codes, reasons=st.lists(texts, max_size=2))
responses = st.builds(Response, reference_id=st.none() | ids.map(lambda i: value(i, schemeID="IRN")),
                      response_code=st.none() | st.sampled_from(["AB", "IP", "RE", "AP"]),
                      descriptions=st.lists(texts, max_size=1), effective_date=st.none() | dates,
                      statuses=st.lists(statuses, max_size=2))
attachments = st.builds(
    Attachment,
    embedded=st.none() | st.builds(BinaryObject, st.binary(max_size=40), st.just("application/pdf"),
                                   st.none() | st.just("invoice.pdf")),
    external_reference=st.none() | st.builds(ExternalReference, uri=st.none() | st.just("https://example.com/a.pdf"),
                                             format_code=st.none() | st.just("PDF"),
                                             file_name=st.none() | st.just("a.pdf")))
references = st.builds(DocumentReference, id=ids.map(lambda i: value(i, schemeID="GoogleInvoiceNumber")),
                       issue_date=st.none() | dates, document_type_code=st.none() | st.sampled_from(["380", "381"]),
                       document_types=st.lists(texts, max_size=1), attachment=st.none() | attachments)
line_responses = st.builds(LineResponse, line_reference=st.builds(LineReference, line_id=ids),
                           responses=st.lists(responses, min_size=1, max_size=1))
document_responses = st.builds(DocumentResponse, response=responses,
                               document_references=st.lists(references, min_size=1, max_size=2),
                               line_responses=st.lists(line_responses, max_size=1))
models = st.builds(
    ApplicationResponse, id=ids, uuid=st.none() | ids, issue_date=dates, issue_time=st.none() | times,
    notes=st.lists(texts, max_size=2), sender=parties(ublbatch.model.SenderParty),
    receiver=parties(ublbatch.model.ReceiverParty), document_responses=st.lists(document_responses, max_size=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models)
def test_generated_models_round_trip_and_are_valid_ubl(model: ApplicationResponse) -> None:
    xml = model.to_xml()
    again = ApplicationResponse.from_xml(xml)
    assert again == model
    assert again.to_dict() == model.to_dict()
    assert ApplicationResponse.from_dict(model.to_dict()) == model
    schema = document_schema()
    assert schema.xsd.validate(etree.fromstring(xml)), schema.xsd.error_log
