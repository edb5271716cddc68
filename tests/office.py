"""Files opened in LibreOffice, headless: what a person opening them in an office suite would get. Each call
runs its own soffice with a throwaway profile, so that tests may run side by side."""

import shutil
import subprocess
import tempfile
from pathlib import Path

# Calc's CSV export: comma, double quotes, UTF-8 (76), from the first line, cells as shown (formatted).
CSV_AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true"


def convert(content: bytes, suffix: str, to: str) -> bytes:
    """`content` (a .docx, .xlsx, …) converted by LibreOffice to `to` ("pdf", or a filter like CSV_AS_SHOWN)."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "in" / f"document.{suffix}"  # apart from the result, which may have its suffix
        source.parent.mkdir()
        source.write_bytes(content)
        subprocess.run(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation=file://{work}/profile",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                work,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        [result] = [path for path in Path(work).iterdir() if path.is_file()]
        return result.read_bytes()
