"""Stream a realistic ApplicationResponseBatch of any size to disk (seeded, with a share of invalid documents).

    python bench/generate.py OUT.xml --documents 100000 [--invalid 0.01] [--seed 7]
    python bench/generate.py OUT.xml --megabytes 200

Documents vary between about 1 and 3 KB: notes, several statuses, document references with
attachments, Google's status reason codes. Invalid ones carry one of: a bad date, an unknown
element, a missing cbc:ID, a bad time. ``--signatures 0.3`` gives that share of documents an
enveloped XML signature in ``ext:UBLExtensions`` (UBL's signature components, ``ds:Signature`` with
its ``Id``, the same ``xsd:ID`` value in every document, as real signed documents have it).
"""

from __future__ import annotations

import argparse
import base64
import random
from pathlib import Path
from xml.sax.saxutils import escape

NAMESPACES = (
    'xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"'
)
CODES = ["NON", "NON", "NON", "PEN", "REF", "SVE", "CER", "TER", "OTH", "COM", "REJ"]
WORDS = [
    "invoice", "tax", "authority", "registered", "buyer", "seller", "reference", "pending", "accepted", "rejected",
    "address", "postal", "code", "amount", "currency", "line", "item", "vendor", "Google", "cloud", "services",
    "period", "month",
]


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()


SIGNATURE = """    <ext:UBLExtensions><ext:UBLExtension>
      <ext:ExtensionURI>urn:oasis:names:specification:ubl:dsig:enveloped:xades</ext:ExtensionURI>
      <ext:ExtensionContent>
        <sig:UBLDocumentSignatures xmlns:sig="urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2"
            xmlns:sac="urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2"
            xmlns:sbc="urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2">
          <sac:SignatureInformation>
            <cbc:ID>urn:oasis:names:specification:ubl:signature:1</cbc:ID>
            <sbc:ReferencedSignatureID>urn:oasis:names:specification:ubl:signature:ApplicationResponse</sbc:ReferencedSignatureID>
            <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="signature">
              <ds:SignedInfo>
                <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"/>
                <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
                <ds:Reference Id="reference" URI="">
                  <ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>
                  <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
                  <ds:DigestValue>{digest}</ds:DigestValue>
                </ds:Reference>
              </ds:SignedInfo>
              <ds:SignatureValue>{value}</ds:SignatureValue>
            </ds:Signature>
          </sac:SignatureInformation>
        </sig:UBLDocumentSignatures>
      </ext:ExtensionContent>
    </ext:UBLExtension></ext:UBLExtensions>"""


def document(rng: random.Random, i: int, invalid: bool, signed: bool = False) -> str:
    uuid = f"GVR-{i // 100000:04d}-2024-{i:08d}"
    damage = rng.choice(["date", "element", "id", "time"]) if invalid else None
    parts = ["  <ar:ApplicationResponse>"]
    if signed:
        parts.append(SIGNATURE.format(digest=base64.b64encode(rng.randbytes(32)).decode(),
                                      value=base64.b64encode(rng.randbytes(256)).decode()))
    parts.append("    <cbc:UBLVersionID>2.4</cbc:UBLVersionID>")
    if damage != "id":
        parts.append(f"    <cbc:ID>AR-{i:09d}</cbc:ID>")
    parts.append(f"    <cbc:UUID>{uuid}</cbc:UUID>")
    day = "2024-13-01" if damage == "date" else f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    clock = ("25:61:00" if damage == "time"
             else f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+05:30")
    parts.append(f"    <cbc:IssueDate>{day}</cbc:IssueDate>")
    parts.append(f"    <cbc:IssueTime>{clock}</cbc:IssueTime>")
    if damage == "element":
        parts.append("    <cbc:Unknown>unexpected</cbc:Unknown>")
    for _ in range(rng.randint(0, 3)):
        parts.append(f"    <cbc:Note>{escape(sentence(rng, 5, 25))}</cbc:Note>")
    for party, name in (("SenderParty", "Acme E-Invoicing Services"), ("ReceiverParty", "Google")):
        parts.append(f"    <cac:{party}><cac:PartyName><cbc:Name>{name}</cbc:Name></cac:PartyName></cac:{party}>")
    for _ in range(rng.randint(1, 2)):
        parts.append("    <cac:DocumentResponse>")
        parts.append("      <cac:Response>")
        parts.append(f"        <cbc:ReferenceID schemeID=\"IRN\">{rng.getrandbits(128):032x}</cbc:ReferenceID>")
        for _ in range(rng.randint(1, 3)):
            parts.append(f"        <cac:Status><cbc:StatusReasonCode>{rng.choice(CODES)}</cbc:StatusReasonCode>"
                         f"<cbc:StatusReason>{escape(sentence(rng, 3, 12))}</cbc:StatusReason></cac:Status>")
        parts.append("      </cac:Response>")
        parts.append("      <cac:DocumentReference>")
        parts.append(f"        <cbc:ID schemeID=\"GoogleInvoiceNumber\">{4500000000 + i}</cbc:ID>")
        parts.append("        <cbc:IssueDate>2024-01-15</cbc:IssueDate>")
        parts.append(f"        <cbc:DocumentTypeCode>{rng.choice(['380', '381'])}</cbc:DocumentTypeCode>")
        parts.append("        <cbc:DocumentType>Invoice</cbc:DocumentType>")
        if rng.random() < 0.6:
            parts.append(f"        <cac:Attachment><cac:ExternalReference><cbc:URI>https://vendor.example/inv/{i}.pdf"
                         f"</cbc:URI><cbc:FormatCode>PDF</cbc:FormatCode><cbc:FileName>{i}.pdf</cbc:FileName>"
                         "</cac:ExternalReference></cac:Attachment>")
        parts.append("      </cac:DocumentReference>")
        parts.append("    </cac:DocumentResponse>")
    parts.append("  </ar:ApplicationResponse>")
    return "\n".join(parts) + "\n"


DEFAULT_NAMESPACE = ('<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"'
                     ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
                     ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">')


def styled(text: str, style: str) -> str:
    """A document in the envelope's prefixes as ``style`` writes it: ``envelope`` (as is) or ``default``
    (its own default namespace and declarations, as Peppol documents are embedded verbatim)."""
    if style == "envelope":
        return text
    return text.replace("<ar:ApplicationResponse>", DEFAULT_NAMESPACE, 1).replace(
        "</ar:ApplicationResponse>", "</ApplicationResponse>", 1)


def generate(path: Path, *, documents: int | None = None, megabytes: float | None = None, invalid: float = 0.01,
             seed: int = 7, style: str = "envelope", signatures: float = 0.0) -> int:
    """Write the batch; returns the number of documents."""
    rng = random.Random(seed)
    limit = None if megabytes is None else int(megabytes * 1024 * 1024)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<ApplicationResponseBatch {NAMESPACES}>\n'
                  "  <RequestFileName>InvoiceRequest_20240115_TKBENCH01</RequestFileName>\n"
                  "  <FileStatus>\n    <StatusCode>S</StatusCode>\n"
                  "    <StatusDescription>File processed successfully</StatusDescription>\n  </FileStatus>\n")
        while (documents is None or count < documents) and (limit is None or out.tell() < limit):
            out.write(styled(document(rng, count, rng.random() < invalid,
                                      signatures > 0 and rng.random() < signatures), style))
            count += 1
        out.write("</ApplicationResponseBatch>\n")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents", type=int)
    parser.add_argument("--megabytes", type=float)
    parser.add_argument("--invalid", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--style", choices=("envelope", "default"), default="envelope",
                        help="documents in the envelope's prefixes, or each with its own default namespace")
    parser.add_argument("--signatures", type=float, default=0.0,
                        help="the share of documents with an enveloped XML signature (0 to 1)")
    args = parser.parse_args()
    if args.documents is None and args.megabytes is None:
        args.documents = 1000
    count = generate(args.out, documents=args.documents, megabytes=args.megabytes, invalid=args.invalid,
                     seed=args.seed, style=args.style, signatures=args.signatures)
    print(f"{args.out}: {count} documents, {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
