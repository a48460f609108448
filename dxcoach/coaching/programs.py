"""Support programmes as structured facts, and the ones that fit an owner.

The corpus passages on support programmes carry a ``facts`` key in their front matter, taken from
the source deck only (tests/unit/test_program_facts.py checks every number against it)::

    facts:
      program: ものづくり補助金          # the programme as the passage names it
      frame: 通常枠                      # the frame or type the passage is about, if one
      form: subsidy                      # subsidy | tax | loan | guarantee | certification | training
                                         # | overview | examples
      covers: 革新的な製品・…投資等       # what it pays for: words of the body (its line is quoted
                                         # when nothing more specific applies)
      amounts:                           # by head count, or by type within the frame
      - {label: 5人以下, min_employees: null, max_employees: 5, amount_yen: 7500000, row: 5人以下 750万円}
      rate: [{label: 中小, rate: 1/2, row: "補助率:中小 1/2、…"}]   # only where the text ties it
      scale: {min_yen: 7500000, max_yen: 12500000}   # the amounts the deck states for it
      prerequisites: {requires: [support-dx-certification], row: …}
      needs: [equipment, money]          # the owner needs it answers (NEEDS)

An amount row may also give ``amount_min_yen`` (a range such as 5万円〜150万円未満) and ``type`` (rows
of one frame that are alternatives by type: A類型 / B類型; a row without type or head count applies
to every applicant). Every ``row`` is a line, or part of a line, of the passage body: what the coach
quotes.

``choose`` picks, for what the owner said, the programmes that fit, best first: by need (what they
ask about or struggle with), by the programme or frame they name, and by scale (a few million yen is
an IT導入補助金 or ものづくり補助金 frame; hundreds of millions is tax relief or a loan, with DX認定
before it). Each fit quotes only what applies to this owner: the row for their head count, the row
for the amount they named, the sentence naming a prerequisite — never a whole table. Core module:
no textual or rich.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dxcoach.retrieval.corpus import split_front_matter
from dxcoach.retrieval.normalize import normalize_query, normalize_text

# The owner needs a programme may answer: the first ones are those an owner names; the last say which
# frame of a programme fits (software, overseas sales, greenhouse gases, wage rises, a group of
# companies applying together).
NEEDS = (
    "people",
    "money",
    "security",
    "equipment",
    "partners",
    "invoice",
    "time",
    "web_sales",
    "certification",
    "tax",
    "loan",
    "software",
    "overseas",
    "green",
    "wages",
    "group",
)
FORMS = ("subsidy", "tax", "loan", "guarantee", "certification", "training", "overview", "examples")


# ---- the facts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Amount:
    label: str
    row: str
    amount_yen: int
    amount_min_yen: int | None = None
    min_employees: int | None = None
    max_employees: int | None = None
    type: str | None = None

    @property
    def by_head_count(self) -> bool:
        return self.min_employees is not None or self.max_employees is not None

    def holds(self, employees: int) -> bool:
        low = self.min_employees if self.min_employees is not None else 0
        high = self.max_employees if self.max_employees is not None else math.inf
        return low <= employees <= high


@dataclass(frozen=True)
class Rate:
    label: str
    rate: str
    row: str


@dataclass(frozen=True)
class Program:
    passage_id: str
    title: str
    program: str
    form: str
    covers: str
    covers_row: str  # the body line that holds ``covers``
    needs: frozenset[str]
    frame: str | None = None
    amounts: tuple[Amount, ...] = ()
    rates: tuple[Rate, ...] = ()
    layers: tuple[tuple[str, str], ...] = ()  # (name, row): the parts of a programme (talent-platform)
    benefits: tuple[str, ...] = ()  # rows: what it brings (DX認定: the logo, tax and financial support)
    min_yen: int | None = None
    max_yen: int | None = None
    requires: tuple[str, ...] = ()
    prerequisite_row: str = ""

    @property
    def capped(self) -> bool:
        """A programme with a stated maximum: a subsidy frame."""
        return self.max_yen is not None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _body_line(body: str, words: str, where: str) -> str:
    """The line of the body holding ``words`` (a list item without its bullet)."""
    for line in body.split("\n"):
        if words in line:
            return re.sub(r"^[-*]\s+", "", line.strip())
    raise ValueError(f"{where}: {words!r} is not in the passage body")


def _program(passage_id: str, meta: Mapping[str, Any], body: str) -> Program:
    facts = meta["facts"]
    where = f"{passage_id} facts"
    form = str(facts["form"])
    if form not in FORMS:
        raise ValueError(f"{where}: unknown form {form!r}")
    needs = frozenset(str(n) for n in facts.get("needs") or ())
    if not needs <= set(NEEDS):
        raise ValueError(f"{where}: unknown needs {sorted(needs - set(NEEDS))}")
    covers = normalize_text(str(facts["covers"]))
    amounts = []
    for a in facts.get("amounts") or ():
        row = normalize_text(str(a["row"]))
        _body_line(body, row, where)
        amounts.append(
            Amount(
                label=normalize_text(str(a["label"])),
                row=row,
                amount_yen=int(a["amount_yen"]),
                amount_min_yen=_int(a.get("amount_min_yen")),
                min_employees=_int(a.get("min_employees")),
                max_employees=_int(a.get("max_employees")),
                type=normalize_text(str(a["type"])) if a.get("type") else None,
            )
        )
    rates = []
    for r in facts.get("rate") or ():
        row = normalize_text(str(r["row"]))
        _body_line(body, row, where)
        rates.append(Rate(normalize_text(str(r["label"])), normalize_text(str(r["rate"])), row))
    layers = []
    for layer in facts.get("layers") or ():
        row = normalize_text(str(layer["row"]))
        _body_line(body, row, where)
        layers.append((normalize_text(str(layer.get("name") or layer["label"])), row))
    benefits = []
    for benefit in facts.get("benefits") or ():
        row = normalize_text(str(benefit["row"]))
        _body_line(body, row, where)
        benefits.append(row)
    scale = facts.get("scale") or {}
    pre = facts.get("prerequisites") or {}
    pre_row = normalize_text(str(pre.get("row", "")))
    if pre_row:
        _body_line(body, pre_row, where)
    return Program(
        passage_id=passage_id,
        title=normalize_text(str(meta.get("title", passage_id))),
        program=normalize_text(str(facts["program"])),
        form=form,
        covers=covers,
        covers_row=_body_line(body, covers, where),
        needs=needs,
        frame=normalize_text(str(facts["frame"])) if facts.get("frame") else None,
        amounts=tuple(amounts),
        rates=tuple(rates),
        layers=tuple(layers),
        benefits=tuple(benefits),
        min_yen=_int(scale.get("min_yen")),
        max_yen=_int(scale.get("max_yen")),
        requires=tuple(str(i) for i in pre.get("requires") or ()),
        prerequisite_row=pre_row,
    )


@lru_cache(maxsize=8)
def _load(folder: str) -> dict[str, Program]:
    out: dict[str, Program] = {}
    directory = Path(folder)
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.md")):
        if path.name.startswith((".", "_")) or path.name == "README.md":
            continue
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        if not isinstance(meta.get("facts"), dict):
            continue
        passage_id = str(meta.get("id", path.stem))
        out[passage_id] = _program(passage_id, meta, normalize_text(body))
    return out


def load_programs(corpus_dir: Path) -> dict[str, Program]:
    """The programmes of a corpus folder (files with a ``facts`` key), by passage id; read once per folder.
    A malformed ``facts`` entry raises ValueError naming the passage."""
    return dict(_load(str(Path(corpus_dir).resolve())))


# ---- what the owner said: head count, amount, needs -------------------------------------------------
@dataclass(frozen=True)
class Scale:
    employees: int | None  # from the owner's words, else the profile
    amount_yen: int | None  # the investment the owner names
    needs: frozenset[str]  # the needs said in the text (NEEDS)
    asks_rate: bool = False  # the owner asks what share is paid


_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "数": 3,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[0-9][0-9,]*(?:\.[0-9]+)?"
_KNUM = r"[〇零一二三四五六七八九十百千]+"


def _small(text: str) -> float | None:
    """A number below 10,000: 2000, 1.5, 十五, 百二十, 5千, 数百."""
    text = text.replace(",", "")
    if not text:
        return None
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return float(text)
    total = 0.0
    digit: float | None = None
    i = 0
    while i < len(text):
        m = re.match(r"[0-9]+(?:\.[0-9]+)?", text[i:])
        if m:
            digit = float(m.group())
            i += m.end()
            continue
        ch = text[i]
        if ch in _KANJI_DIGITS:
            digit = float(_KANJI_DIGITS[ch])
        elif ch in _KANJI_UNITS:
            total += (1.0 if digit is None else digit) * _KANJI_UNITS[ch]
            digit = None
        else:
            return None
        i += 1
    return total + (digit or 0.0)


def _japanese_number(text: str) -> float | None:
    """1億5千万, 2,000万, 数百万, 100億, 四 — in units of one."""
    total = 0.0
    rest = text.replace(",", "")
    for unit, size in (("億", 1e8), ("万", 1e4)):
        if unit in rest:
            head, rest = rest.split(unit, 1)
            value = _small(head) if head else 1.0
            if value is None:
                return None
            total += value * size
    if rest:
        value = _small(rest)
        if value is None:
            return None
        total += value
    return total


_STAFF_BEFORE = re.compile(
    r"(?:従業員|社員|スタッフ|職員|従業者|人数|正社員|総勢|全部で|全員で|うちは|うちも|当社は|弊社は|会社は|店は|工場は)"
    r"[^。、!?]{0,8}$"
)
_STAFF_AFTER = re.compile(
    r"^(?:ほど|くらい|ぐらい|程度|前後|弱|ちょっと|余り|あまり|ばかり|ちょうど)?"
    r"(?:の(?:会社|工場|店|事務所|企業|小さな|町工場|チーム|組織)|の[^。、!?]{0,8}?(?:屋|店|工場|会社|事務所|企業|蔵|所|院|館|園|法人)"
    r"|で(?:やって|回して|営業|経営|切り盛り|働いて)|だけ|しかいな|規模|体制|の規模|です|だと|なら|の場合|います|おります)"
)
_NOT_STAFF_BEFORE = re.compile(
    r"(?:お客|客|利用者|患者|生徒|入居者|来店|人口|応募|会員|受講|参加|何|定員|乗客|宿泊)[^。、]{0,4}$"
)
_PEOPLE = re.compile(rf"(?P<n>{_NUM}|{_KNUM})\s*(?:人|名)")
_HOUSEHOLD = re.compile(
    r"(?:夫婦|家族|親子|兄弟|姉妹)(?:の)?(?P<n>[0-9]+|[一二三四五六七八九十]+)?(?:人|名)?(?:で|だけ)"
)
_ALONE = re.compile(r"(?:一人|1人|ひとり)(?:で|きり)(?:やって|回して|経営|切り盛り|営業)")
_EN_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}
_EN_PEOPLE = re.compile(
    r"\b(?P<n>\d[\d,]*|" + "|".join(_EN_WORDS) + r")\s+(?:full-time\s+)?(?:people|staff|employees|workers|persons)\b",
    re.IGNORECASE,
)
_EN_NOT_PEOPLE = re.compile(r"(?:customers?|visitors?|guests?|users?|students?|patients?)\W*(?:\w+\W+){0,2}$", re.I)


def _employees(text: str) -> int | None:
    m = _HOUSEHOLD.search(text)
    if m and text[m.end() - 1] in "でだ":
        return int(_small(m.group("n")) or 2) if m.group("n") else 2
    if _ALONE.search(text):
        return 1
    for m in _PEOPLE.finditer(text):
        before, after = text[: m.start()], text[m.end() :]
        if after.startswith("も") or _NOT_STAFF_BEFORE.search(before):
            continue  # 一人もいない, お客さん100人
        if _STAFF_BEFORE.search(before) or _STAFF_AFTER.match(after):
            value = _small(m.group("n"))
            if value is not None and value >= 1:
                return int(value)
    for m in _EN_PEOPLE.finditer(text):
        if _EN_NOT_PEOPLE.search(text[: m.start()]):
            continue
        word = m.group("n").lower().replace(",", "")
        return _EN_WORDS[word] if word in _EN_WORDS else int(word)
    return None


def _profile_employees(profile: Mapping[str, Any]) -> int | None:
    value = profile.get("employees")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        m = re.search(r"[0-9]+", normalize_query(value).replace(",", ""))
        return int(m.group()) if m else None
    return None


# An amount: digits or kanji numerals with 万/億 (and 円), a range 2〜3千万円, or 数百万円.
_AMOUNT = re.compile(
    r"(?P<span>(?:[0-9数〇一二三四五六七八九十百千][0-9,.数〇一二三四五六七八九十百千万億]*)"
    r"(?:\s*[〜~\-ー]\s*[0-9数〇一二三四五六七八九十百千][0-9,.数〇一二三四五六七八九十百千万億]*)?)"
    r"\s*(?P<yen>円)?"
)
_COUNTER = re.compile(
    r"^(?:人|名|件|個|台|本|社|回|枚|部|点|年|歳|か月|ヶ月|カ月|日|時間|分|km|kg|t|トン|食|室|品|世帯|店|棟|戸|倍|%|割)"
)
_NOT_INVESTMENT = re.compile(r"(?:売上|年商|売り上げ|資本金|給料|給与|年収|月給|時給|人口|利益|赤字)[^。、]{0,8}$")
_INVESTMENT = re.compile(
    r"投資|見積|かか|費用|予算|入れ|建て|導入|購入|総額|見込|更新|入れ替え|作り直|cost|invest|budget|spend"
)
_EN_AMOUNT = re.compile(
    r"(?:¥\s*|jpy\s*)?(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>million|billion|thousand|m|bn|k)?\s*(?:yen|jpy)\b"
    r"|¥\s*(?P<n2>\d[\d,]*(?:\.\d+)?)\s*(?P<unit2>million|billion|thousand|m|bn|k)?",
    re.IGNORECASE,
)
_EN_VAGUE = (
    (re.compile(r"hundreds of millions of yen|several hundred million yen", re.I), 300_000_000),
    (re.compile(r"tens of millions of yen|several tens of millions of yen", re.I), 30_000_000),
    (re.compile(r"(?:a few|several) million yen", re.I), 3_000_000),
    (re.compile(r"(?:a few|several) billion yen", re.I), 3_000_000_000),
)
_EN_UNITS = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3, "k": 1e3}


def _range_value(span: str) -> float | None:
    parts = re.split(r"\s*[〜~\-ー]\s*", span)
    if len(parts) == 1:
        return _japanese_number(parts[0])
    low, high = parts[0], parts[-1]
    unit = re.search(r"[十百千]?[万億]+$|[万億].*$", high)
    if unit and not re.search(r"[十百千万億]", low):
        low += unit.group()  # 2〜3千万: the 2 is 2千万
    a, b = _japanese_number(low), _japanese_number(high)
    return None if a is None or b is None else (a + b) / 2


def _amounts(text: str) -> list[tuple[int, bool]]:
    """(yen, said as an investment) for each amount in the text."""
    found: list[tuple[int, bool]] = []
    for m in _AMOUNT.finditer(text):
        span = m.group("span")
        if not m.group("yen") and not re.search(r"[万億]", span):
            continue  # a bare number is not an amount of money
        if not m.group("yen") and _COUNTER.match(text[m.end() :]):
            continue  # 5千万人
        if re.fullmatch(r"[〇一二三四五六七八九十百千数]", span) and not m.group("yen"):
            continue
        value = _range_value(span)
        if value is None or value < 1000:
            continue
        before = text[: m.start()]
        if _NOT_INVESTMENT.search(before):
            continue
        clause = re.split(r"[。!?]", before)[-1] + text[m.end() : m.end() + 20]
        found.append((round(value), bool(_INVESTMENT.search(clause))))
    for m in _EN_AMOUNT.finditer(text):
        number = m.group("n") or m.group("n2")
        unit = (m.group("unit") or m.group("unit2") or "").lower()
        value = float(number.replace(",", "")) * _EN_UNITS.get(unit, 1.0)
        if value >= 1000:
            found.append((int(value), bool(_INVESTMENT.search(text[max(0, m.start() - 40) : m.end() + 20]))))
    for pattern, value in _EN_VAGUE:
        if pattern.search(text):
            found.append((value, True))
    return found


def _amount(text: str) -> int | None:
    found = _amounts(text)
    invested = [v for v, inv in found if inv]
    if invested:
        return max(invested)
    return found[0][0] if found else None


# Words for each need, matched after NFKC, lower-cased. English words match whole words.
# fmt: off
_NEED_WORDS: dict[str, tuple[str, ...]] = {
    "people": ("人材", "人手", "採用", "育成", "育て", "研修", "リスキル", "学び", "学べ", "勉強", "スキル",
               "詳しい人", "人が足り", "担い手", "教育", "講座", "staff training", "train", "training", "hire",
               "hiring", "skills", "reskill", "reskilling", "learn"),
    "money": ("補助金", "補助", "助成", "費用", "予算", "上限", "いくら", "お金", "資金", "補助率", "割合",
              "subsidy", "subsidies", "grant", "grants", "cost", "budget", "how much", "cap", "funding"),
    "security": ("セキュリティ", "サイバー", "ランサム", "ウイルス", "ウィルス", "マルウェア", "不正アクセス",
                 "漏え", "漏洩", "情報漏", "乗っ取", "ハッキング", "security", "ransomware", "virus", "malware",
                 "cyber", "hacking", "hacked", "breach"),
    "equipment": ("設備", "機械", "機器", "装置", "加工機", "印刷機", "工作機", "ライン", "工場", "プリンター",
                  "パソコン", "pc", "レジ", "ハードウェア", "炉", "カメラ", "センサー", "ロボット", "equipment",
                  "machine", "machines", "machinery", "hardware", "line", "factory", "register", "printer", "robot"),
    "partners": ("受発注", "受注", "発注", "伝票", "請求書", "請求", "fax", "ファックス", "取引先", "取引", "商流",
                 "orders", "suppliers", "purchase order", "billing"),
    "invoice": ("インボイス", "適格請求", "invoice", "invoices", "invoicing"),
    "time": ("時間", "手が回ら", "忙し", "効率", "手作業", "手書き", "省力", "自動化", "time", "busy", "efficiency",
             "manual", "automate"),
    "web_sales": ("通販", "ネットショップ", "ネット販売", "オンラインショップ", "ec", "ecサイト", "直販",
                  "直接お客さんに売", "通販サイト", "ホームページ", "online shop", "web shop", "e-commerce",
                  "ecommerce", "sell online", "website"),
    "certification": ("dx認定", "認定", "certification", "certified"),
    "tax": ("税", "税制", "税額控除", "減税", "特別償却", "節税", "tax"),
    "loan": ("融資", "借入", "借り入れ", "借りる", "借りられ", "借り", "金利", "利率", "保証", "銀行", "公庫",
             "loan", "loans", "borrow", "borrowing", "interest rate", "guarantee", "bank"),
    "software": ("ソフト", "システム", "クラウド", "アプリ", "ツール", "サービス", "予約", "管理", "会計",
                 "software", "cloud", "app", "system", "tool", "tools", "saas"),
    "overseas": ("海外", "輸出", "越境", "外国", "overseas", "abroad", "export", "exports", "europe", "foreign"),
    "green": ("省エネ", "co2", "二酸化炭素", "温室効果ガス", "脱炭素", "排出", "環境", "電気代", "green", "carbon",
              "emission", "emissions", "energy"),
    "wages": ("賃上げ", "給料を上げ", "給与を上げ", "雇用拡大", "業況", "売上が半分", "売上が落ち", "wage", "wages",
              "pay rise"),
    "group": ("複数社", "何社か", "数社", "商店街", "組合", "共同で", "合同で", "グループで", "several companies",
              "group of", "together with other"),
}
# fmt: on
# fmt: off
_BENEFIT_WORDS = (
    "メリット", "何がいい", "何が良い", "何の得", "得になる", "得がある", "利点", "いいこと", "良いこと", "benefit",
    "benefits", "advantage", "what do we get", "why should",
)
# fmt: on
# A question of how many (「DX認定を取っている会社は全国でどのくらい」) is answered by the statistics.
_COUNT = re.compile(r"何社|何件|全国で|どのくらいあ|どれくらいあ|どのぐらいあ|how many")
_RATE_WORDS = ("補助率", "割合", "何割", "率は", "率も", "rate", "share", "percent", "half", "how much of")
# Words that show the owner asks about support, not only about a topic.
# fmt: off
_SUPPORT_WORDS = (
    "補助", "助成", "支援", "制度", "融資", "税", "認定", "優遇", "使える", "使えます", "対象", "枠", "公庫",
    "保証", "subsid", "grant", "loan", "tax", "support", "scheme", "programme", "program", "certif",
)
# fmt: on


def _said(word: str, text: str) -> bool:
    if word.isascii() and re.fullmatch(r"[a-z0-9 \-]+", word):
        return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None
    return word in text


# 「製材所5社で」「商店街の8店舗で」: companies applying together.
_GROUP = re.compile(r"[0-9〇一二三四五六七八九十数何]+(?:社|店舗|店|事業者)(?:で|とも|が集まって|合同|共同)")


def _needs(text: str) -> frozenset[str]:
    found = {need for need, words in _NEED_WORDS.items() if any(_said(w, text) for w in words)}
    if _GROUP.search(text):
        found.add("group")
    return frozenset(found)


def _prepared(text: str) -> str:
    return normalize_query(text)


def scale_of(text: str, profile: Mapping[str, Any]) -> Scale:
    """The owner's head count (their words first, then the profile), the investment they name, and the
    needs they speak of."""
    said = _prepared(text)
    lowered = said.lower()
    employees = _employees(said)
    return Scale(
        employees=employees if employees is not None else _profile_employees(profile),
        amount_yen=_amount(said),
        needs=_needs(lowered),
        asks_rate=any(_said(w, lowered) for w in _RATE_WORDS),
    )


# ---- choosing -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fit:
    passage_id: str
    quote: tuple[str, ...]  # the passage's lines that apply to this owner, verbatim
    prerequisite: tuple[str, ...] = ()  # passage ids to have first (DX認定 before the tax relief)
    score: float = 0.0
    amount: Amount | None = None  # the row chosen for this owner, if one
    why: tuple[str, ...] = ()  # what made it fit: needs, "named", "scale"


# How owners name the programmes (the facts' ``program`` values), both languages.
# fmt: off
_PROGRAM_NAMES: dict[str, tuple[str, ...]] = {
    "ものづくり補助金": ("ものづくり補助金", "ものづくり", "monozukuri"),
    "IT導入補助金2023": ("it導入補助金", "it導入", "it subsidy", "it introduction"),
    "DX認定制度": ("dx認定", "dx certification", "dx-certification"),
    "DX(デジタルトランスフォーメーション)投資促進税制": ("投資促進税制", "税額控除", "特別償却", "dx tax",
                                                         "tax credit"),
    "日本政策金融公庫による融資": ("公庫", "政策金融公庫", "jfc", "japan finance"),
    "中小企業信用保険法の特例": ("信用保証", "保証協会", "信用保険", "credit guarantee"),
    "デジタル人材育成プラットフォーム": ("人材育成プラットフォーム", "マナビdx", "マイナビdx", "マナビ", "manabi"),
}
# fmt: on
# How owners name the frames (the facts' ``frame`` values).
# fmt: off
_FRAME_NAMES: dict[str, tuple[str, ...]] = {
    "通常枠": ("通常枠", "regular frame", "normal frame"),
    "セキュリティ対策推進枠": ("セキュリティ対策推進枠", "セキュリティ枠", "security frame"),
    "商流一括インボイス対応類型": ("インボイス枠", "インボイス対応類型", "商流一括", "invoice frame"),
    "デジタル化基盤導入類型": ("デジタル化基盤", "digital foundation", "digital base"),
    "複数社連携IT導入類型": ("複数社連携", "multi-company"),
    "デジタル枠": ("デジタル枠", "digital frame"),
    "グリーン枠": ("グリーン枠", "green frame"),
    "グローバル市場開拓枠": ("グローバル市場開拓枠", "グローバル枠", "global frame"),
    "回復型賃上げ・雇用拡大枠": ("回復型", "雇用拡大枠", "賃上げ枠", "recovery frame"),
}
# fmt: on
# What a shared need is worth: one that singles out a frame, a common one, software (every IT frame
# and most investments), money (every subsidy answers it).
_WEIGHTS = {"software": 1.0, "money": 0.5, "people": 2.0, "equipment": 2.0, "partners": 2.0, "time": 2.0}
_DISTINCT = 3.0
_NAMED = 3.0  # the owner names the programme
_FRAME = 3.0  # ... or the frame
_DEFAULT_FRAME = 1.0  # the regular frame of a programme named without a frame
_OVERVIEW = -1.5  # an overview comes after the frames it lists
_LARGE = 2.0  # an amount beyond this many times every subsidy's maximum is for tax relief or a loan
_MIN_SCORE = 2.0


def _names(program: Program, text: str) -> bool:
    return any(_said(w, text) for w in _PROGRAM_NAMES.get(program.program, (program.program.lower(),)))


def _frame_named(program: Program, text: str) -> bool:
    if program.frame is None:
        return False
    return any(_said(w, text) for w in _FRAME_NAMES.get(program.frame, (program.frame.lower(),)))


def _scale_score(program: Program, amount: int, large: bool) -> float:
    if program.form in ("tax", "loan", "guarantee"):
        return 3.0 if large else 0.0
    if program.form == "certification":
        return 1.0 if large else 0.0
    if not program.capped or program.max_yen is None:
        return -3.0 if large and program.form == "subsidy" else 0.0
    if large:
        return -6.0  # a subsidy frame for hundreds of millions of yen: not what the owner needs
    low = program.min_yen or 0
    high = program.max_yen * 2  # what is paid is a share of the cost: a cost up to twice the cap fits
    if low <= amount <= high:
        return 2.0
    distance = math.log10(amount / high) if amount > high else math.log10(max(low, 1) / max(amount, 1))
    return 2.0 - 3.0 * distance


def _type_words(label: str) -> list[str]:
    return [w.lower() for w in re.split(r"[等、・()〜\s]+", label) if len(w) >= 2 and not re.search(r"[0-9]", w)]


def _rows_for(program: Program, scale: Scale, text: str) -> tuple[list[str], Amount | None]:
    """The amount rows that apply to this owner (never the whole table), and the chosen row."""
    rows: list[str] = []
    chosen: Amount | None = None
    by_head = [a for a in program.amounts if a.by_head_count]
    if by_head:
        if scale.employees is None:
            return [], None  # the row depends on the head count: say nothing of the amount
        fits = [a for a in by_head if a.holds(scale.employees)]
        if len(fits) == 1:
            chosen = fits[0]
            rows.append(chosen.row)
    rest = [a for a in program.amounts if not a.by_head_count]
    rows += [a.row for a in rest if a.type is None]
    typed = [a for a in rest if a.type is not None]
    named = [a for a in typed if any(w in text for w in _type_words(a.type or ""))]
    if named:
        picked = named
    elif typed and scale.amount_yen is not None:
        amount = scale.amount_yen

        def distance(a: Amount) -> float:
            low = a.amount_min_yen or 1
            if low <= amount <= a.amount_yen:
                return 0.0
            return abs(math.log10(amount / (a.amount_yen if amount > a.amount_yen else low)))

        best = min(distance(a) for a in typed)
        picked = [a for a in typed if distance(a) == best][:1]
    else:
        picked = []
    rows += [a.row for a in picked]
    if chosen is None and len(picked) == 1:
        chosen = picked[0]
    elif chosen is None and len(rest) == 1 and rest[0].type is None:
        chosen = rest[0]
    return rows, chosen


def _layer_words(name: str) -> set[str]:
    return {w for w in re.findall(r"[\u30a0-\u30ff]{2,}|[\u4e00-\u9fff]{2,}", name)}


def _layers_for(program: Program, text: str) -> list[str]:
    """The parts of a programme the owner describes (「ネットで学べるサイト」: the online site)."""
    words = [_layer_words(name) for name, _ in program.layers]
    common = set.intersection(*words) if words else set()
    shared = {w for i, ws in enumerate(words) for w in ws if any(w in o for j, o in enumerate(words) if j != i)}
    scored = [
        (sum(w in text for w in ws - common - shared), row) for ws, (_, row) in zip(words, program.layers, strict=True)
    ]
    best = max((n for n, _ in scored), default=0)
    return [row for n, row in scored if n == best] if best else []


def _quote(program: Program, scale: Scale, text: str) -> tuple[tuple[str, ...], Amount | None]:
    rows, chosen = _rows_for(program, scale, text)
    rows += _layers_for(program, text)
    if program.benefits and any(_said(w, text.lower()) for w in _BENEFIT_WORDS):
        rows += list(program.benefits)
    # The rate: when asked, where it is the programme's whole offer (tax relief, a loan), or where the
    # frame states no amount (回復型: 補助率 2/3) — never in place of an amount that needs the head count.
    if scale.asks_rate or program.form in ("tax", "loan") or (not program.amounts and not rows):
        rows += [r.row for r in program.rates]
    if not rows:
        rows.append(program.covers_row)
    if program.prerequisite_row:
        rows.append(program.prerequisite_row)
    return tuple(dict.fromkeys(rows)), chosen


def choose(
    need_text: str,
    profile: Mapping[str, Any],
    programs: Mapping[str, Program],
    candidates: Sequence[str] | None = None,
) -> list[Fit]:
    """The programmes that fit this owner, best first (empty when the owner does not ask about support
    or nothing fits): by need, by the programme or frame named, and by scale. ``candidates``: passage
    ids to choose among (e.g. search hits, best first; their order breaks ties)."""
    said = _prepared(need_text)
    text = said.lower()
    scale = scale_of(need_text, profile)
    pool = [programs[i] for i in candidates if i in programs] if candidates is not None else list(programs.values())
    named_any = any(_names(p, text) for p in pool)
    if not named_any and not any(_said(w, text) or w in text for w in _SUPPORT_WORDS):
        return []
    if _COUNT.search(text) and not scale.needs & {"money", "tax", "loan"}:
        return []
    maxima = [p.max_yen for p in programs.values() if p.max_yen is not None]
    large = bool(scale.amount_yen and maxima and scale.amount_yen > _LARGE * max(maxima))
    specific_frames = {p.program for p in pool if _frame_named(p, text)}
    fits: list[tuple[float, int, Fit]] = []
    for order, program in enumerate(pool):
        if program.form == "examples":
            continue
        shared = program.needs & scale.needs
        weights = [_WEIGHTS.get(n, _DISTINCT) for n in shared]
        # An overview lists every need of its frames: it counts its best one only.
        score = max(weights, default=0.0) if program.form == "overview" else sum(weights)
        why = sorted(shared)
        if _names(program, text):
            score += _NAMED
            why.append("named")
            if program.frame == "通常枠" and program.program not in specific_frames:
                score += _DEFAULT_FRAME
        if _frame_named(program, text) and (_names(program, text) or not named_any):
            score += _FRAME
            why.append("frame")
        if program.form == "overview":
            score += _OVERVIEW
        if scale.amount_yen is not None:
            by_scale = _scale_score(program, scale.amount_yen, large)
            score += by_scale
            if by_scale > 0:
                why.append("scale")
        if score < _MIN_SCORE:
            continue
        quote, chosen = _quote(program, scale, said)
        fits.append((score, order, Fit(program.passage_id, quote, program.requires, score, chosen, tuple(why))))
    fits.sort(key=lambda f: (-f[0], f[1]))
    ranked = [f for _, _, f in fits]
    # A prerequisite that scores no higher than the programme needing it comes after it: asked about the
    # loan, the owner hears of the loan, then of DX認定.
    for fit in list(ranked):
        for pre in fit.prerequisite:
            first = next((f for f in ranked if f.passage_id == pre), None)
            if first is not None and first.score <= fit.score and ranked.index(first) < ranked.index(fit):
                ranked.remove(first)
                ranked.insert(ranked.index(fit) + 1, first)
    return ranked
