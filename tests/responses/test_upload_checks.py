"""Upload checks that protect the server: zip bombs in office files, control characters in names."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest

from portal.models import Answer, Attachment, DeviationUpdate, EvidenceFile
from portal.uploads import ZIP_MAX_MEMBERS, UploadRefused, check_name, store_upload
from tests.auth.helpers import text, tr
from tests.conftest import csrf_token
from tests.deviations.helpers import make_deviation

MIB = 1024 * 1024
ZIP_MESSAGE = ("The file is packed in an unusual way: unpacked it would be far larger than the file itself, "
               "or it has too many parts. Save it again from your office program, or as PDF, and try again.")


def _office_zip(member: str, method: int, mib: int, *, extra: int = 0) -> bytes:
    """A small .docx whose ``member`` unpacks to ``mib`` MiB of zeros, written a MiB at a time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo(member)
        info.compress_type = method
        chunk = bytes(MIB)
        with archive.open(info, "w") as stream:
            for _ in range(mib):
                stream.write(chunk)
        if member != "word/document.xml":
            archive.writestr("word/document.xml", "<w:document/>")
        for n in range(extra):
            archive.writestr(f"word/media/p{n}.xml", "<p/>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bzip2_bomb() -> bytes:
    # The attack of the report: a few hundred bytes that bzip2 expands to 300 MiB, read as ODF's
    # "mimetype" member.
    return _office_zip("mimetype", zipfile.ZIP_BZIP2, 300)


def _post_upload(client, response, content: bytes, filename: str):
    path = f"/responses/{response.id}/sections/B"
    return client.post(path, data={
        "csrf_token": csrf_token(client, path), "present-B1": "1", "q-B1-answer": "yes",
        "q-B1-file-upload": (io.BytesIO(content), filename),
    }, content_type="multipart/form-data")


def _supplier_response(make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    return response


def test_bzip2_bomb_is_refused_at_the_field_with_bounded_memory(client, make_response, db, login_as, bzip2_bomb):
    response = _supplier_response(make_response, db, login_as)
    assert len(bzip2_bomb) < 4096

    tracemalloc.start()
    try:
        reply = _post_upload(client, response, bzip2_bomb, "policy.docx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 40 * MIB, f"the upload check allocated {peak // MIB} MiB"
    assert reply.status_code == 200
    page = text(reply)
    assert "policy.docx" in page
    assert tr(ZIP_MESSAGE) in page
    assert db.session.query(EvidenceFile).count() == 0
    assert db.session.query(Answer).filter_by(question_id="B1").one().value["answer"] == "yes"


def test_deflate_bomb_is_refused_by_its_ratio(client, make_response, db, login_as):
    # Deflate is what Office writes; 64 MiB of zeros packs into about 64 KB (a ratio near 1000).
    response = _supplier_response(make_response, db, login_as)
    bomb = _office_zip("word/document.xml", zipfile.ZIP_DEFLATED, 64)

    reply = _post_upload(client, response, bomb, "policy.docx")

    assert reply.status_code == 200
    assert tr(ZIP_MESSAGE, "nb") in text(reply)
    assert db.session.query(EvidenceFile).count() == 0


def test_office_file_with_too_many_members_is_refused(client, make_response, db, login_as):
    response = _supplier_response(make_response, db, login_as)
    crowded = _office_zip("word/document.xml", zipfile.ZIP_DEFLATED, 0, extra=ZIP_MAX_MEMBERS)

    reply = _post_upload(client, response, crowded, "policy.docx")

    assert tr(ZIP_MESSAGE) in text(reply)
    assert db.session.query(EvidenceFile).count() == 0


@pytest.mark.parametrize(("filename", "member"), [("policy.docx", "word/document.xml"),
                                                  ("sheet.xlsx", "xl/workbook.xml")])
def test_ordinary_office_files_are_still_accepted(client, make_response, db, login_as, filename, member):
    response = _supplier_response(make_response, db, login_as)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x>" + "Leverandøren har rutiner. " * 2000 + "</x>")

    reply = _post_upload(client, response, buffer.getvalue(), filename)

    assert reply.status_code == 302
    assert db.session.query(EvidenceFile).one().original_name == filename


def test_odf_file_is_recognised_by_its_first_bytes(client, make_response, db, login_as):
    response = _supplier_response(make_response, db, login_as)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)

    reply = _post_upload(client, response, buffer.getvalue(), "policy.odt")

    assert reply.status_code == 302
    assert db.session.query(EvidenceFile).one().mimetype == "application/vnd.oasis.opendocument.text"


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("control", BIDI)
def test_direction_controls_are_removed_from_file_names(app, control):
    with app.test_request_context():
        assert check_name(f"faktura{control}fdp.pdf") == ("fakturafdp.pdf", "pdf")
        with pytest.raises(UploadRefused):
            check_name(f"{control}{control}")


def test_uploaded_name_is_stored_and_sent_without_direction_controls(client, make_response, db, login_as):
    response = _supplier_response(make_response, db, login_as)

    reply = _post_upload(client, response, PDF, "rutine\u202egnp.\u2066exe\u2069.pdf")

    assert reply.status_code == 302
    evidence = db.session.query(EvidenceFile).one()
    assert evidence.original_name == "rutinegnp.exe.pdf"
    download = client.get(f"/responses/{response.id}/files/{evidence.id}")
    disposition = download.headers["Content-Disposition"]
    assert "rutinegnp.exe.pdf" in disposition
    assert not any(control in disposition for control in BIDI)
    assert "%E2%80%AE" not in disposition.upper()


def test_refused_file_is_named_without_direction_controls(client, make_response, db, login_as):
    response = _supplier_response(make_response, db, login_as)

    reply = _post_upload(client, response, b"MZ\x90\x00", "faktura\u202efdp.exe")

    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "fakturafdp.exe" in page
    assert "\u202e" not in page


CSV = "Fabrikk;Land\r\nDhåka Garments;BD\r\n".encode()
CSV_TYPE = "text/csv; charset=utf-8"


def test_csv_evidence_downloads_with_one_charset(client, make_response, db, login_as):
    response = _supplier_response(make_response, db, login_as)
    assert _post_upload(client, response, CSV, "fabrikker.csv").status_code == 302
    evidence = db.session.query(EvidenceFile).one()

    download = client.get(f"/responses/{response.id}/files/{evidence.id}")

    assert download.headers["Content-Type"] == CSV_TYPE
    assert download.data == CSV


def test_csv_deviation_attachment_downloads_with_one_charset(app, client, make, db, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier)
    update = DeviationUpdate(deviation_id=deviation.id, kind="note", text="Liste", is_internal=False)
    db.session.add(update)
    db.session.flush()
    with app.test_request_context():
        stored = store_upload(io.BytesIO(CSV), "fabrikker.csv")
    attachment = Attachment(deviation_update_id=update.id, original_name=stored.original_name,
                            stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                            mimetype=stored.mimetype)
    db.session.add(attachment)
    db.session.commit()
    login_as("supplier", supplier=supplier)

    download = client.get(f"/deviations/{deviation.id}/attachments/{attachment.id}")

    assert download.status_code == 200
    assert download.headers["Content-Type"] == CSV_TYPE
    assert download.data == CSV


def _flagged_odt(flags: int, version: int = 20) -> bytes:
    """An .odt whose ``mimetype`` member claims ``flags`` (general purpose bits) and needs zip
    ``version`` to be extracted, as written by an odd tool or by hand."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    data = bytearray(buffer.getvalue())
    struct.pack_into("<H", data, 6, flags)  # the local header's flags
    directory = data.find(b"PK\x01\x02")  # the central directory's entry of the first member
    struct.pack_into("<HH", data, directory + 6, version, flags)
    return bytes(data)


@pytest.mark.parametrize(("flags", "zip_version"), [
    (0x01, 20),  # encrypted: zipfile wants a password (RuntimeError; was a 500)
    (0x20, 20),  # compressed patched data: not supported by zipfile
    (0x40, 20),  # strong encryption: not supported
    (0x00, 99),  # a zip version zipfile does not know, refused while reading the directory
])
def test_an_archive_zipfile_cannot_read_is_refused_at_the_field(client, make_response, db, login_as,
                                                                flags, zip_version):
    response = _supplier_response(make_response, db, login_as)

    reply = _post_upload(client, response, _flagged_odt(flags, zip_version), "rutine.odt")

    assert reply.status_code == 200
    page = text(reply)
    assert "rutine.odt" in page
    assert tr("The content of the file does not match its name (.%(ext)s). Check that it is the right file.",
              ext="odt") in page
    assert db.session.query(EvidenceFile).count() == 0
    assert db.session.query(Answer).filter_by(question_id="B1").one().value["answer"] == "yes"
