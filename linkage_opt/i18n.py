"""gettext for everything linkage-opt writes for people: English is the message id, other languages live in
``linkage_opt/locale/<lang>/LC_MESSAGES/linkage_opt.po`` (docs/operations.md, "Languages").

Text is marked where it is written: ``_("...")`` / ``ngettext`` / ``pgettext`` for text translated at once
(``lang`` given), :class:`Msg` for a message rendered later in the reader's language (an input problem is
made by the loader, which does not know the language, and printed by the CLI, which does), ``N_`` to mark a
table of words looked up later. Parameters are formatted with ``str.format`` after translation, so the
catalog holds ``{name}`` placeholders, never values.

The ``.mo`` files are compiled from the ``.po`` files by ``setup.py``'s ``build_py`` (wheels) and, when a
``.mo`` is missing or older than its ``.po`` (a fresh clone, ``pip install -e .``, an edited catalog), on first
use: in memory, and written beside the ``.po`` when the folder is writable.

    >>> _("Plan written to [bold]{path}[/]", "zh").format(path="plans/x")
    '方案已写入 [bold]plans/x[/]'
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
import string
from functools import cache
from pathlib import Path

DOMAIN = "linkage_opt"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGS = ("en", "zh")
DEFAULT = "en"
ENV = "LINKAGE_OPT_LANG"

# Message ids looked up in a language other than English and not found there (tests fail on any).
MISSES: list[str] = []


def resolve(lang: str | None = None) -> str:
    """The language to use: ``lang`` if given, else ``$LINKAGE_OPT_LANG``, else English."""
    value = (lang or os.environ.get(ENV) or DEFAULT).strip().lower()
    if value in ("cn", "zh-cn", "zh_cn", "zh-hans", "chinese", "中文"):
        value = "zh"
    if value in ("english", "en-us", "en_us", "en-gb"):
        value = "en"
    if value not in LANGS:
        raise ValueError(f"unknown language {value!r}: use en or zh")
    return value


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(po: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` file (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the message ids themselves)."""
    lang = resolve(lang)
    po = po_path(lang)
    if lang == "en" or not po.exists():
        return _gettext.NullTranslations()
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = compile_po(po)
        try:
            tmp = mo.with_suffix(f".mo.{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, mo)
        except OSError:  # an installed, read-only package: keep the catalog in memory
            pass
    return _gettext.GNUTranslations(io.BytesIO(data))


def _lookup(msgid: str, lang: str) -> str:
    if lang == "en" or not msgid:
        return msgid
    cat = translations(lang)
    out = cat._catalog.get(msgid) if isinstance(cat, _gettext.GNUTranslations) else None  # type: ignore[attr-defined]
    if out is None:
        MISSES.append(msgid)
        return msgid
    return out


def _(msgid: str, lang: str | None = None) -> str:
    """``msgid`` in ``lang`` (not formatted)."""
    return _lookup(msgid, resolve(lang))


gettext = _


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    lang = resolve(lang)
    if lang == "en":
        return singular if n == 1 else plural
    cat = translations(lang)
    key = (singular, cat.plural(n) if isinstance(cat, _gettext.GNUTranslations) else 0)  # type: ignore[attr-defined]
    out = cat._catalog.get(key) if isinstance(cat, _gettext.GNUTranslations) else None  # type: ignore[attr-defined]
    if out is None:
        MISSES.append(singular)
        return singular if n == 1 else plural
    return out


def pgettext(context: str, msgid: str, lang: str | None = None) -> str:
    """``msgid`` in ``lang`` where one English word has two translations (``context`` tells them apart)."""
    lang = resolve(lang)
    if lang == "en":
        return msgid
    return _lookup(f"{context}\x04{msgid}", lang) if f"{context}\x04{msgid}" in _catalog(lang) else _lookup(msgid, lang)


def _catalog(lang: str) -> dict:
    cat = translations(lang)
    return cat._catalog if isinstance(cat, _gettext.GNUTranslations) else {}  # type: ignore[attr-defined]


def N_(msgid: str) -> str:
    """Marks ``msgid`` for extraction only: a word kept in a table and translated where it is shown."""
    return msgid


class Translator:
    """The project's translations in one language, as ``jinja2.ext.i18n`` takes them
    (``env.install_gettext_translations(Translator(lang))``): the templates' ``_()``, ``ngettext()`` and
    ``pgettext()`` look their words up in the catalog (and record a miss as :func:`_` does)."""

    def __init__(self, lang: str | None = None):
        self.lang = resolve(lang)

    def gettext(self, msgid: str) -> str:
        return _(msgid, self.lang)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n, self.lang)

    def pgettext(self, context: str, msgid: str) -> str:
        return pgettext(context, msgid, self.lang)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n, self.lang)


_FORMATTER = string.Formatter()


def fmt(template: str, params: dict, lang: str) -> str:
    """``template.format(**params)`` with every :class:`Msg` parameter rendered in ``lang`` first."""
    if not params:
        return template
    return template.format(**{k: render(v, lang) if isinstance(v, Msg) else v for k, v in params.items()})


class Msg(str):
    """A message kept as its id and parameters, rendered in a language when it is shown.

    It *is* its English text (a ``str``), so the library's exceptions and ``str(problem)`` read as before;
    :func:`render` gives it in another language. Parameters that are themselves ``Msg`` (a noun, a hint
    inside a message) are rendered in the same language."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, /, **params):
        self = super().__new__(cls, fmt(msgid, params, "en"))
        self.msgid = msgid
        self.params = params
        return self

    def render(self, lang: str | None = None) -> str:
        lang = resolve(lang)
        if lang == "en":
            return str.__str__(self)
        return fmt(_lookup(self.msgid, lang), self.params, lang)

    def __add__(self, other):  # "did you mean 'x'? " + "sheets found: ..."
        if isinstance(other, str):
            return Cat(self, other)
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, str):
            return Cat(other, self)
        return NotImplemented

    def __reduce__(self):
        return (_rebuild, (type(self), self.msgid, self.params))


def _rebuild(cls, msgid, params):
    return cls(msgid, **params)


class Cat(Msg):
    """Messages written one after the other (each rendered on its own)."""

    def __new__(cls, *parts: str):
        self = str.__new__(cls, "".join(str.__str__(p) for p in parts))
        self.msgid = ""
        self.params = {"parts": parts}
        return self

    def render(self, lang: str | None = None) -> str:
        return "".join(p.render(lang) if isinstance(p, Msg) else p for p in self.params["parts"])  # str: a value

    def __reduce__(self):
        return (Cat, tuple(self.params["parts"]))


class ByLang(Msg):
    """A value written differently in each language, not a message of the catalog: a list of allowed values
    is the keys in English and the planners' words in Chinese (``elderly_care`` / ``养老服务``), as the input
    template's drop-downs offer them. ``texts`` maps a language to its text; English is required."""

    def __new__(cls, texts: dict[str, str]):
        self = str.__new__(cls, texts["en"])
        self.msgid = ""
        self.params = {"texts": dict(texts)}
        return self

    def render(self, lang: str | None = None) -> str:
        texts = self.params["texts"]
        return texts.get(resolve(lang), texts["en"])

    def __reduce__(self):
        return (ByLang, (self.params["texts"],))


def plain(text: str) -> Msg:
    """A text that is no message id of ours (another library's own words, an unexpected error): shown as it
    is in every language, and recorded in :data:`MISSES` when rendered in another (tests fail on any)."""
    return Msg(str(text).replace("{", "{{").replace("}", "}}"))


def join(parts, sep: str = "; ") -> Msg:
    """Messages joined by a separator that is itself translated (``; `` is ``；`` in Chinese)."""
    parts = [p for p in parts if p]
    if not parts:
        return Msg("{text}", text="")
    out: Msg = parts[0] if isinstance(parts[0], Msg) else plain(parts[0])
    for p in parts[1:]:
        out = Msg("{first}; {second}", first=out, second=p) if sep == "; " else Cat(out, sep, p)
    return out


def render(text: object, lang: str | None = None) -> str:
    """A message in ``lang``: a :class:`Msg` rendered, a plain string looked up as a message id (one that is
    not a message id is shown as it is and recorded in :data:`MISSES`)."""
    if text is None:
        return ""
    if isinstance(text, Msg):
        return text.render(lang)
    text = str(text)
    lang = resolve(lang)
    if lang == "en" or not text:
        return text
    found = _catalog(lang).get(text)
    if found is not None:
        return found
    MISSES.append(text)  # not a message id: shown as it is, and recorded (tests fail on any)
    return text
