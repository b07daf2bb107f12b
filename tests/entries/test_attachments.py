"""Attachments (SPEC 5.1): type by content, images re-encoded without metadata under a pixel
limit, PDFs checked in a limited process, stored once by SHA-256, served as downloads.
Every file is made here; every refusal leaves the attachments folder empty."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from awards.entries.attachments import (
    AttachmentRefused,
    CheckedFile,
    display_name,
    download_headers,
    inspect_upload,
    store,
    stored_path,
)
from awards.exceptions import AwardsError, NotFound
from awards.storage import attachments_dir

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """A bare application whose ATTACHMENTS_DIR is a fresh folder (no database needed)."""
    app = Flask("attachments-test", instance_path=str(tmp_path / "instance"))
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    with app.app_context():
        yield attachments_dir()


def stored_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def plain_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return pdf_bytes(writer)


def name(value: str) -> NameObject:
    return NameObject(value)


def js_action(script: str = "app.alert(1)") -> DictionaryObject:
    return DictionaryObject({name("/S"): name("/JavaScript"),
                             name("/JS"): TextStringObject(script)})


def pdf_with_javascript_name_tree() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = writer._add_object(js_action())
    tree = DictionaryObject({name("/Names"): ArrayObject([TextStringObject("hello"), action])})
    writer.root_object[name("/Names")] = DictionaryObject({name("/JavaScript"): tree})
    return pdf_bytes(writer)


def pdf_with_open_action() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    # A harmless-looking open action (go to the first page) is still an automatic action.
    writer.root_object[name("/OpenAction")] = ArrayObject(
        [page.indirect_reference, name("/Fit")])
    return pdf_bytes(writer)


def pdf_with_page_additional_action() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    page[name("/AA")] = DictionaryObject({name("/O"): DictionaryObject(
        {name("/S"): name("/URI"), name("/URI"): TextStringObject("https://example.org/")})})
    return pdf_bytes(writer)


def pdf_with_launch_link() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    annotation = DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name("/Link"),
        name("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(50),
                                    FloatObject(50)]),
        name("/A"): DictionaryObject({name("/S"): name("/Launch"),
                                      name("/F"): TextStringObject("calc.exe")}),
    })
    page[name("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return pdf_bytes(writer)


def pdf_with_embedded_file() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("payload.txt", b"not for judges")
    return pdf_bytes(writer)


def handwritten_pdf(*objects: str, root: int = 1) -> bytes:
    """A small uncompressed PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


PAGE_OBJECTS = ("<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>")


def png_bytes(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width`` × ``height`` with almost no data: a
    decompression bomb's opening."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def gradient(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height))
    image.putdata([(x * 255 // width, y * 255 // height, 128)
                   for y in range(height) for x in range(width)])
    return image


def refusal(data: bytes, filename: str = "upload.pdf", **limits) -> AttachmentRefused:
    with pytest.raises(AttachmentRefused) as caught:
        inspect_upload(data, filename, **limits)
    assert isinstance(caught.value, AwardsError)
    return caught.value


@pytest.fixture(scope="module")
def many_pages() -> bytes:
    """A valid PDF of 20,000 blank pages: about a second to check on an idle machine."""
    writer = PdfWriter()
    for _ in range(20_000):
        writer.add_blank_page(width=200, height=200)
    return pdf_bytes(writer)


# --------------------------------------------------------------------------- type and size


def test_html_named_pdf_is_refused_by_its_content(folder: Path) -> None:
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    exc = refusal(html, "report.pdf")
    assert (exc.code, exc.status) == ("attachment.type", 415)
    assert "only PDF, PNG and JPEG" in str(exc)
    assert stored_files(folder) == []


@pytest.mark.parametrize("data", [
    b"GIF89a" + b"\x00" * 64,  # an image type that is not accepted
    b"PK\x03\x04" + b"\x00" * 64,  # a zip (or .docx)
    b"MZ" + b"\x00" * 64,  # a Windows program
    b"  %PDF-1.7\n",  # a PDF header not at the start: a polyglot's trick
])
def test_other_types_are_refused_whatever_their_name(data: bytes) -> None:
    assert refusal(data, "photo.png").code == "attachment.type"


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"", "empty.pdf").code == "attachment.empty"


def test_an_oversized_file_is_refused_before_anything_else(folder: Path) -> None:
    data = plain_pdf()
    exc = refusal(data + b"\n" * (10 * 2**20), "big.pdf")
    assert (exc.code, exc.status) == ("attachment.too_large", 413)
    assert exc.params == {"size": "10.1 MiB", "limit": "10 MiB"}
    assert str(exc) == "the file is 10.1 MiB; the limit is 10 MiB"
    exc = refusal(data, "big.pdf", max_bytes=len(data) - 1)
    assert exc.code == "attachment.too_large"
    assert inspect_upload(data, "ok.pdf", max_bytes=len(data)).size == len(data)
    assert stored_files(folder) == []


# --------------------------------------------------------------------------- PDFs


def test_a_plain_pdf_is_accepted_unchanged() -> None:
    data = plain_pdf()
    checked = inspect_upload(data, "Annual report.pdf")
    assert checked.data == data
    assert checked.content_type == "application/pdf"
    assert checked.filename == "Annual report.pdf"
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)


@pytest.mark.parametrize(("make", "key"), [
    (pdf_with_javascript_name_tree, "/JavaScript"),
    (pdf_with_open_action, "/OpenAction"),
    (pdf_with_page_additional_action, "/AA"),
    (pdf_with_launch_link, "/Launch"),
    (pdf_with_embedded_file, "/EmbeddedFiles"),
])
def test_pdfs_with_active_content_are_refused_naming_the_key(make, key, folder: Path) -> None:
    data = make()
    assert PdfReader(io.BytesIO(data)).pages  # a real PDF, readable
    exc = refusal(data)
    assert exc.code == "attachment.active_content"
    assert key in exc.params["keys"].split(", ")
    assert key in str(exc)
    assert stored_files(folder) == []


def test_an_escaped_name_is_still_active_content() -> None:
    """``/J#61vaScript`` is ``/JavaScript`` once decoded (ISO 32000-1 7.3.5)."""
    data = handwritten_pdf(
        "<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 4 0 R >> >>",
        *PAGE_OBJECTS[1:],
        "<< /Names [(x) << /S /J#61vaScript /J#53 (app.alert(1)) >>] >>")
    assert "/JavaScript" in refusal(data).params["keys"]


def test_an_object_the_document_does_not_reach_is_still_scanned() -> None:
    """The raw scan is the second line: an unreferenced object with a launch action."""
    data = handwritten_pdf(*PAGE_OBJECTS, "<< /S /Launch /F (cmd.exe) >>")
    assert refusal(data).params["keys"] == "/Launch"


def test_active_names_inside_stream_data_do_not_count() -> None:
    content = "BT /F1 12 Tf (see /JavaScript and /AA) Tj ET"
    data = handwritten_pdf(
        *PAGE_OBJECTS[:2],
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    assert inspect_upload(data, "text.pdf").data == data


def test_an_encrypted_pdf_is_refused(folder: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(plain_pdf()))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-128")
    data = pdf_bytes(writer)
    exc = refusal(data)
    assert exc.code == "attachment.encrypted"
    assert stored_files(folder) == []


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\nthis is not a PDF body at all\n",
    plain_pdf()[:200],  # truncated
])
def test_a_malformed_pdf_is_unreadable(data: bytes) -> None:
    exc = refusal(data)
    assert exc.code == "attachment.unreadable"
    assert exc.params == {"kind": "PDF"}


def test_a_pdf_that_takes_too_long_is_refused(many_pages: bytes, folder: Path) -> None:
    assert len(PdfReader(io.BytesIO(many_pages)).pages) == 20_000  # valid, only slow
    exc = refusal(many_pages, pdf_time_limit=0.5)
    assert (exc.code, exc.params) == ("attachment.timeout", {"seconds": "0.5"})
    assert stored_files(folder) == []


def test_a_pdf_that_needs_too_much_memory_is_refused(many_pages: bytes) -> None:
    # A generous time limit, so that on a busy machine only the memory cap can stop it.
    exc = refusal(many_pages, pdf_memory_limit=96 * 2**20, pdf_time_limit=120)
    assert exc.code == "attachment.too_complex"


def test_the_checker_runs_as_a_module_reading_standard_input() -> None:
    done = subprocess.run([sys.executable, "-m", "awards.entries.pdfcheck"],
                          input=pdf_with_launch_link(), capture_output=True, check=True)
    assert done.stdout.strip() == b'{"verdict": "active_content", "keys": ["/Launch"]}'


# --------------------------------------------------------------------------- images


def test_a_decompression_bomb_is_refused_without_decoding_it(folder: Path) -> None:
    bomb = png_declaring(100_000, 100_000)  # ten gigapixels in a hundred bytes
    assert len(bomb) < 200
    exc = refusal(bomb, "bomb.png")
    assert (exc.code, exc.status) == ("attachment.too_many_pixels", 413)
    assert stored_files(folder) == []


def test_an_image_over_our_pixel_limit_but_under_pillows_is_refused() -> None:
    assert 8_000 * 8_000 < Image.MAX_IMAGE_PIXELS
    exc = refusal(png_declaring(8_000, 8_000), "big.png")
    assert (exc.code, exc.params) == ("attachment.too_many_pixels", {"limit": "50"})
    assert refusal(png_bytes(gradient(40, 30)), "small.png",
                   max_pixels=1_000).code == "attachment.too_many_pixels"


def test_a_jpeg_loses_its_exif_gps_and_other_metadata_and_stands_upright(
    folder: Path,
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: rotate 90° clockwise to view
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 16.0, 30.0)
    out = io.BytesIO()
    gradient(60, 40).save(out, "JPEG", exif=exif, icc_profile=srgb_profile(),
                          comment=b"taken at home", xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    original = out.getvalue()
    with Image.open(io.BytesIO(original)) as image:  # the test file really carries them
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert {"exif", "icc_profile", "comment", "xmp"} <= image.info.keys()

    checked = inspect_upload(original, "holiday.jpg")
    path = store(checked)
    stored = path.read_bytes()
    assert checked.data == stored
    assert checked.sha256 == hashlib.sha256(stored).hexdigest() == path.name
    assert checked.size == len(stored)
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == (40, 60)  # orientation applied before the tags were dropped
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "icc_profile", "comment", "xmp"} & image.info.keys()
    for secret in (b"Exif", b"SpyCam", b"taken at home", b"xmpmeta", b"ICC_PROFILE"):
        assert secret not in stored


def test_a_png_loses_its_text_chunks_and_keeps_its_pixels(folder: Path) -> None:
    info = PngInfo()
    info.add_text("Author", "Jane Chan")
    info.add_text("Comment", "internal draft", zip=True)
    info.add_itxt("Description", "機密", lang="zh", tkey="說明")
    image = gradient(50, 20).convert("RGBA")
    original = png_bytes(image, pnginfo=info, icc_profile=srgb_profile(), exif=Image.Exif())
    with Image.open(io.BytesIO(original)) as check:
        assert {"Author", "Comment", "Description", "icc_profile"} <= check.info.keys()

    stored = store(inspect_upload(original, "chart.png")).read_bytes()
    with Image.open(io.BytesIO(stored)) as clean:
        assert clean.format == "PNG"
        assert not {"Author", "Comment", "Description", "icc_profile", "exif"} & \
            clean.info.keys()
        assert clean.tobytes() == image.tobytes()
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"):
        assert chunk not in stored


def test_a_palette_png_keeps_its_palette_and_transparency() -> None:
    image = gradient(16, 16).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    original = png_bytes(image, transparency=0)
    with Image.open(io.BytesIO(inspect_upload(original, "icon.png").data)) as clean:
        assert clean.mode == "P"
        assert clean.info.get("transparency") == 0
        assert clean.convert("RGBA").tobytes() == \
            Image.open(io.BytesIO(original)).convert("RGBA").tobytes()


def test_a_jpeg_named_png_is_stored_as_a_jpeg_with_a_matching_name() -> None:
    out = io.BytesIO()
    gradient(10, 10).save(out, "JPEG")
    checked = inspect_upload(out.getvalue(), "photo.png")
    assert checked.content_type == "image/jpeg"
    assert checked.filename == "photo.png.jpg"


def test_a_damaged_image_is_unreadable() -> None:
    data = png_bytes(gradient(50, 50))
    exc = refusal(data[:60], "cut.png")
    assert (exc.code, exc.params) == ("attachment.unreadable", {"kind": "PNG"})


# --------------------------------------------------------------------------- storage


def test_a_file_is_stored_once_by_its_hash(folder: Path) -> None:
    checked = inspect_upload(plain_pdf(), "a.pdf")
    first = store(checked)
    mtime = first.stat().st_mtime_ns
    again = store(inspect_upload(plain_pdf(), "another name.pdf"))
    assert first == again == folder / checked.sha256
    assert first.stat().st_mtime_ns == mtime  # not written again
    assert stored_files(folder) == [checked.sha256]  # no temporary file left behind
    assert first.read_bytes() == checked.data
    assert stored_path(checked.sha256) == first


def test_the_folder_defaults_to_the_instance_folder_outside_the_static_one(
    tmp_path: Path,
) -> None:
    app = Flask("attachments-test", instance_path=str(tmp_path / "instance"))
    with app.app_context():
        assert attachments_dir() == (tmp_path / "instance" / "attachments").resolve()
    app.config["ATTACHMENTS_DIR"] = str(Path(app.static_folder) / "uploads")
    with app.app_context(), pytest.raises(RuntimeError, match="outside the web root"):
        attachments_dir()


def test_store_takes_only_a_checked_file_whose_hash_matches(folder: Path) -> None:
    checked = inspect_upload(plain_pdf(), "a.pdf")
    forged = CheckedFile(data=b"<script>", content_type="application/pdf",
                         filename="a.pdf", sha256=checked.sha256, size=8)
    with pytest.raises(ValueError, match="does not match"):
        store(forged)
    with pytest.raises(TypeError):
        store(plain_pdf())  # type: ignore[arg-type]
    assert stored_files(folder) == []


@pytest.mark.parametrize("value", [
    "../" + "a" * 61, "..", "/etc/passwd", "A" * 64, "a" * 63, "a" * 65, "g" * 64,
    "a" * 64 + "/", "a" * 64 + "\n", "", "a" * 32 + "/../" + "a" * 28,
])
def test_stored_path_refuses_anything_but_a_lowercase_sha256(value: str,
                                                             folder: Path) -> None:
    with pytest.raises(NotFound) as caught:
        stored_path(value)
    assert (caught.value.code, caught.value.status) == ("attachment.not_found", 404)


def test_stored_path_of_a_hash_never_stored_is_not_found(folder: Path) -> None:
    with pytest.raises(NotFound):
        stored_path(hashlib.sha256(b"never uploaded").hexdigest())


def test_nothing_is_written_on_any_refusal(folder: Path, many_pages: bytes) -> None:
    bad = [(b"<html></html>", "x.pdf", {}), (pdf_with_launch_link(), "x.pdf", {}),
           (pdf_with_embedded_file(), "x.pdf", {}),
           (png_declaring(90_000, 90_000), "x.png", {}), (plain_pdf()[:100], "x.pdf", {}),
           (plain_pdf(), "x.pdf", {"max_bytes": 10}),
           (many_pages, "x.pdf", {"pdf_time_limit": 0.3})]
    for data, filename, limits in bad:
        with pytest.raises(AttachmentRefused):
            store(inspect_upload(data, filename, **limits))
    assert stored_files(folder) == []


# --------------------------------------------------------------------------- names, headers


@pytest.mark.parametrize(("given", "kind", "shown"), [
    ("report.pdf", "application/pdf", "report.pdf"),
    ("../../etc/passwd", "image/png", "passwd.png"),
    ("C:\\Users\\chan\\Desktop\\年報 2026.PDF", "application/pdf", "年報 2026.PDF"),
    ("invoice\u202efdp.exe", "application/pdf", "invoicefdp.exe.pdf"),  # bidi override
    ("tab\there\nnew\x00line.pdf", "application/pdf", "tabherenewline.pdf"),
    ('a"b<c>d|e?.jpeg', "image/jpeg", "a_b_c_d_e_.jpeg"),
    ("...hidden.png", "image/png", "hidden.png"),
    ("", "image/png", "attachment.png"),
    ("..", "application/pdf", "attachment.pdf"),
    ("evil.html", "application/pdf", "evil.html.pdf"),
])
def test_display_names_are_cleaned(given: str, kind: str, shown: str) -> None:
    assert display_name(given, kind) == shown


def test_a_long_display_name_keeps_its_extension_and_chinese() -> None:
    shown = display_name("服務承諾" * 60 + ".pdf", "application/pdf")
    assert shown == "服務承諾" * 24 + ".pdf"
    assert len(shown) == 100


def test_download_headers_force_a_download_and_sandbox_it() -> None:
    headers = download_headers("report.pdf", "application/pdf")
    assert headers == {
        "Content-Disposition": 'attachment; filename="report.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }


def test_a_chinese_file_name_is_sent_as_utf8_with_an_ascii_fallback() -> None:
    disposition = download_headers("年報 2026.pdf", "application/pdf")["Content-Disposition"]
    assert disposition == ("attachment; filename=\"2026.pdf\"; "
                           "filename*=UTF-8''%E5%B9%B4%E5%A0%B1%202026.pdf")
    only_chinese = download_headers("年報.png", "image/png")["Content-Disposition"]
    assert only_chinese.startswith('attachment; filename="attachment.png"; filename*=')


def test_a_header_cannot_be_broken_by_the_name() -> None:
    disposition = download_headers('x";\r\nSet-Cookie: a=b.pdf', "application/pdf")[
        "Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert '"' not in fallback and ";" not in fallback


# --------------------------------------------------------------------------- messages


def test_refusals_read_in_traditional_chinese(app) -> None:
    from awards.web.messages import describe

    exc = refusal(pdf_with_launch_link())
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        assert describe(exc).startswith("此 PDF 含有不獲接受的動態內容（/Launch）")
        assert describe(refusal(b"<html>", "a.pdf")).startswith("只接受 PDF、PNG 及 JPEG")
    with app.test_request_context(), force_locale("en"):
        assert describe(exc) == str(exc)
