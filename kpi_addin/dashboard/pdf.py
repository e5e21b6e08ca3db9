"""The board pack as PDF: the workbook's report sheets, printed by LibreOffice.

LibreOffice prints every visible sheet, so the PDF is made from a copy of the
workbook in which only the template's report sheets are visible and the ledger has
no rows (it never prints, and a million rows would take minutes to load).  The
copy keeps the cached formula values; LibreOffice's default is to show them, not to
recalculate, so the PDF shows exactly the numbers of the workbook.

A printed sheet never shows an error (its figures print ``n/a``), so an error cell there
is chart data: a month a figure is undefined (NRR before a year of history, a month
without a plan).  Excel leaves such a point out of a line; LibreOffice plots it as 0 (it
leaves only an empty cell out), which would draw a false 0 % on the printed page.  The
copy empties those cells.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ..io.safe_write import atomic_output, work_folder

INSTALL_HINT = (
    "--pdf needs LibreOffice (the soffice command), which was not found. Install it: "
    "Debian/Ubuntu `apt-get install libreoffice-calc-nogui`, Fedora `dnf install libreoffice-calc`, "
    "macOS `brew install --cask libreoffice`, Windows https://www.libreoffice.org/download/ "
    "(then put soffice on PATH). The workbook itself needs no LibreOffice."
)
TIMEOUT_SECONDS = 600
#: LibreOffice settings of the PDF's throw-away profile: a named font that is not installed
#: (Malgun Gothic is a Windows font) is replaced by one that has the same script.
FONT_FALLBACKS = {"Malgun Gothic": "Noto Sans CJK KR", "Calibri": "Carlito"}


def profile_settings(fallbacks: dict[str, str] = FONT_FALLBACKS) -> str:
    pairs = "".join(
        f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
        f'<node oor:name="_{i}" oor:op="replace">'
        f'<prop oor:name="Always" oor:op="fuse"><value>false</value></prop>'
        f'<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
        f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{font}</value></prop>'
        f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{fallback}</value></prop>'
        f"</node></item>"
        for i, (font, fallback) in enumerate(fallbacks.items())
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>'
        f"{pairs}</oor:items>\n"
    )


class PdfError(Exception):
    """The PDF could not be made (LibreOffice missing, or it failed)."""


def soffice() -> str | None:
    """The LibreOffice binary, if installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    mac = Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")
    return str(mac) if mac.exists() else None


def require_soffice() -> str:
    binary = soffice()
    if binary is None:
        raise PdfError(INSTALL_HINT)
    return binary


def only_sheets_visible(xml: str, visible: list[str]) -> str:
    """``xl/workbook.xml`` with every sheet but ``visible`` hidden, the first of them active."""
    from xml.sax.saxutils import escape

    wanted = {escape(name, {'"': "&quot;"}) for name in visible}
    names = re.findall(r'<sheet [^>]*name="([^"]*)"', xml)

    def state(match: re.Match[str]) -> str:
        tag = re.sub(r'\s+state="[^"]*"', "", match.group(0))
        name = re.search(r'name="([^"]*)"', tag).group(1)  # type: ignore[union-attr]  # every <sheet> has a name
        return tag if name in wanted else tag.replace("<sheet ", '<sheet state="hidden" ', 1)

    xml = re.sub(r"<sheet [^>]*/>", state, xml)
    # LibreOffice prints a hidden sheet that has a print area: drop the hidden sheets' print names
    hidden = {str(i) for i, name in enumerate(names) if name not in wanted}

    def keep(match: re.Match[str]) -> str:
        return "" if match.group(1) in hidden else match.group(0)

    xml = re.sub(r'<definedName name="_xlnm\.Print_[A-Za-z]+" localSheetId="(\d+)"[^>]*>[^<]*</definedName>', keep, xml)
    first = next(i for i, name in enumerate(names) if name in wanted)
    xml = re.sub(r'activeTab="\d+"', f'activeTab="{first}"', xml)
    return re.sub(r'firstSheet="\d+"', f'firstSheet="{first}"', xml)


def export_pdf(source: Path, out: Path, *, force: bool = False, binary: str | None = None) -> Path:
    """Convert ``source`` (a workbook prepared for printing) to ``out`` with LibreOffice, atomically."""
    binary = binary or require_soffice()
    with work_folder() as work:
        profile = work / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(profile_settings(), encoding="utf-8")
        outdir = work / "out"
        try:
            done = subprocess.run(
                [
                    binary,
                    f"-env:UserInstallation={profile.as_uri()}",
                    "--headless",
                    "--norestore",
                    "--nologo",
                    "--convert-to",
                    "pdf:calc_pdf_Export",
                    "--outdir",
                    str(outdir),
                    str(source),
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"LibreOffice did not finish the PDF within {TIMEOUT_SECONDS} s") from None
        produced = outdir / f"{source.stem}.pdf"
        if not produced.exists():  # soffice exits 0 even when it could not load the file
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise PdfError(f"LibreOffice did not write the PDF ({detail[-1] if detail else 'no message'})")
        with atomic_output(out, force=force) as final:
            shutil.copyfile(produced, final)
    return out


#: A cell whose cached value is an error (``t="e"``), with its formula and value.
ERROR_CELL = re.compile(r'<c\b([^>]*?)\s+t="e"([^>]*?)>.*?</c>', re.DOTALL)


def printable_copy(
    source: Path, target: Path, visible: list[str], texts: dict[str, dict[str, str]] | None = None
) -> Path:
    """A copy of ``source`` in which only the sheets ``visible`` are visible (and so printed),
    with ``texts`` (sheet title → cell → text) written into cells that exist empty (the
    sparkline cells, whose trend LibreOffice's PDF export would leave blank)."""
    import zipfile
    from xml.sax.saxutils import escape

    from .cache import sheet_paths

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        paths = sheet_paths(src)
        fill = {paths[title]: cells for title, cells in (texts or {}).items() if title in paths}
        printed = {paths[title] for title in visible if title in paths}
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = only_sheets_visible(data.decode("utf-8"), visible).encode("utf-8")
            elif item.filename in printed or item.filename in fill:
                xml = ERROR_CELL.sub(r"<c\1\2/>", data.decode("utf-8"))
                for cell, text in fill.get(item.filename, {}).items():
                    inline = f'<is><t xml:space="preserve">{escape(text)}</t></is></c>'
                    pattern = rf'<c r="{cell}"((?:\s+s="\d+")?)(?:\s+t="n")?\s*/>'

                    def inline_cell(match: re.Match[str], cell: str = cell, inline: str = inline) -> str:
                        return f'<c r="{cell}"{match.group(1)} t="inlineStr">{inline}'

                    xml = re.sub(pattern, inline_cell, xml)
                data = xml.encode("utf-8")
            dst.writestr(item, data)
    return target
