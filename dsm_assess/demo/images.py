"""The README's pictures, from the demo: `make images` (after `make demo`).

The executive report's first pages are rendered with LibreOffice (to PDF) and poppler's
pdftoppm (to PNG), and two charts are drawn from the demo's scores and roadmap; everything is
written to docs/images/ at a modest resolution so the files stay small enough to commit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.core.paths import project_dir, reports_dir

PAGES = 3          # the cover, the key messages and the headline charts, and the roadmap
PAGE_DPI = 75      # an A4 page is about 620 x 880 pixels: readable in a README, small on disk
CHART_DPI = 100


def render_pages(docx: Path, out_dir: Path, pages: int = PAGES, dpi: int = PAGE_DPI) -> list[Path]:
    """The first `pages` pages of a Word document as PNG files `report-page-N.png`."""
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            raise DsmError(f"{tool} is not installed: `apt-get install libreoffice-writer-nogui poppler-utils`")
    with tempfile.TemporaryDirectory(prefix="dsm-images-") as tmp:
        from dsm_assess.deliver.pdf import to_pdf
        pdf = to_pdf(docx, Path(tmp))  # the contents gets its page numbers
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", str(pages), str(pdf),
                        str(Path(tmp) / "page")], check=True, capture_output=True, timeout=300)
        made = sorted(Path(tmp).glob("page-*.png"))
        out = []
        for i, page in enumerate(made, start=1):
            target = out_dir / f"report-page-{i}.png"
            shutil.copyfile(page, target)
            out.append(target)
    return out


def draw_charts(out_dir: Path, slug: str = "demo", root: Path | None = None) -> list[Path]:
    """Two of the report's charts for the demo: the DSM areas against target, and the roadmap."""
    import matplotlib

    from dsm_assess.api import Engagement
    from dsm_assess.deliver import charts

    inputs = Engagement(slug, root).gather()
    out = []
    for name, fig in (("chart-areas.png", charts.area_bars(inputs.scores)),
                      ("chart-roadmap.png", charts.gantt(inputs.plan))):
        with matplotlib.rc_context(charts.PRINT):  # drawn as the report draws it, at a smaller size
            fig.savefig(out_dir / name, format="png", dpi=CHART_DPI, pil_kwargs={"optimize": True})
        charts.close(fig)
        out.append(out_dir / name)
    return out


def main() -> None:
    docx = reports_dir("demo") / "demo-executive.docx"
    if not docx.is_file():
        raise SystemExit(f"{docx} not found: run `make demo` first")
    out_dir = (project_dir() or Path.cwd()) / "docs" / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in render_pages(docx, out_dir) + draw_charts(out_dir):
        print(f"{path.relative_to(out_dir.parent.parent)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
