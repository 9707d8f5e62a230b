"""brand.yaml: the firm's name, logo, chart colours, font and confidentiality line.

It lies beside the report template (the kit's own, or the one given with --template), and is read
like every file a consultant edits: a typo is a located problem (file, line, field), never a
failure deep inside the chart library.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dsm_assess.core.errors import InvalidInput, Problem
from dsm_assess.formats.yamlfile import display_path, read_yaml

_HEX = "0123456789abcdefABCDEF"


class Colours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str = "1F4E79"    # current state, headings
    secondary: str = "9DC3E6"  # targets
    accent: str = "C55A11"     # gaps
    grey: str = "7F7F7F"

    @field_validator("*", mode="before")
    @classmethod
    def _hex(cls, value: object) -> str:
        text = str(value).strip().lstrip("#") if isinstance(value, (str, int)) else ""
        if len(text) != 6 or any(c not in _HEX for c in text):
            raise ValueError(f"{value!r} is not a colour: give six hex digits such as \"1F4E79\"")
        return text.upper()


class Brand(BaseModel):
    """The brand of the reports and charts; every field has a default."""

    model_config = ConfigDict(extra="forbid")

    firm: str = "the assessment team"
    logo: str | None = None  # a PNG or JPEG beside brand.yaml
    colours: Colours = Field(default_factory=Colours)
    font: str = "DejaVu Sans"
    confidentiality: str = ""
    folder: Path | None = Field(default=None, exclude=True)  # where brand.yaml was found

    @property
    def logo_path(self) -> Path | None:
        return (self.folder / self.logo) if self.logo and self.folder else None


def load_brand(template: Path) -> Brand:
    """brand.yaml beside `template` (defaults where there is none); raises `InvalidInput` naming
    the file, line and field of every problem, and a logo file that is not there."""
    path = Path(template).with_name("brand.yaml")
    if not path.exists():
        return Brand(folder=path.parent)
    doc = read_yaml(path)
    data = doc.data if doc.data is not None else {}
    if not doc.problems and not isinstance(data, dict):
        doc.problems.append(doc.problem([], "brand settings must be a mapping (firm, logo, colours, font, "
                                            "confidentiality)"))
    brand = doc.validate(Brand, data, []) if not doc.problems else None
    if brand is not None and brand.logo and not (path.parent / brand.logo).is_file():
        doc.problems.append(Problem(display_path(path), "logo", f"{brand.logo!r} is not a file beside brand.yaml",
                                    doc.line(["logo"])))
    if doc.problems:
        raise InvalidInput(doc.problems, f"{doc.name} is not valid")
    return brand.model_copy(update={"folder": path.parent})
