//! The functions the expression language knows, by XLSForm name, with their arity.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Not,
    Selected,
    CountSelected,
    SelectedAt,
    ChoiceName,
    If,
    Coalesce,
    Concat,
    StringLength,
    Substr,
    Contains,
    StartsWith,
    EndsWith,
    Regex,
    Int,
    Round,
    Number,
    String,
    Boolean,
    Today,
    Now,
    Date,
    FormatDate,
    Count,
    Sum,
    Min,
    Max,
    Position,
    Once,
    True,
    False,
    // The rest of ODK's function list that makes sense without GPS, media or external
    // data (see `odk.rs`).
    BooleanFromString,
    Checklist,
    WeightedChecklist,
    Random,
    Pow,
    Log,
    Log10,
    Abs,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sqrt,
    Exp,
    Exp10,
    Pi,
    Floor,
    Ceiling,
    CountNonEmpty,
    Join,
    SubstringBefore,
    SubstringAfter,
    Translate,
    NormalizeSpace,
    Uuid,
    DecimalDateTime,
    DecimalTime,
    DateTime,
    FormatDateTime,
    IndexedRepeat,
    /// `${last-saved#name}`: the answer in the last interview saved with this form. Written
    /// only as that reference, never called by name.
    LastSaved,
}

/// Name, function, least and most arguments (`usize::MAX`: any number).
const TABLE: &[(&str, Func, usize, usize)] = &[
    ("not", Func::Not, 1, 1),
    ("selected", Func::Selected, 2, 2),
    ("count-selected", Func::CountSelected, 1, 1),
    ("selected-at", Func::SelectedAt, 2, 2),
    ("jr:choice-name", Func::ChoiceName, 2, 2),
    ("if", Func::If, 3, 3),
    ("coalesce", Func::Coalesce, 2, usize::MAX),
    ("concat", Func::Concat, 0, usize::MAX),
    ("string-length", Func::StringLength, 0, 1),
    ("substr", Func::Substr, 2, 3),
    ("contains", Func::Contains, 2, 2),
    ("starts-with", Func::StartsWith, 2, 2),
    ("ends-with", Func::EndsWith, 2, 2),
    ("regex", Func::Regex, 2, 2),
    ("int", Func::Int, 1, 1),
    ("round", Func::Round, 1, 2),
    ("number", Func::Number, 0, 1),
    ("string", Func::String, 0, 1),
    ("boolean", Func::Boolean, 1, 1),
    ("today", Func::Today, 0, 0),
    ("now", Func::Now, 0, 0),
    ("date", Func::Date, 1, 1),
    ("format-date", Func::FormatDate, 2, 2),
    ("count", Func::Count, 1, 1),
    ("sum", Func::Sum, 1, 1),
    ("min", Func::Min, 1, usize::MAX),
    ("max", Func::Max, 1, usize::MAX),
    ("position", Func::Position, 0, 1),
    ("once", Func::Once, 1, 1),
    ("true", Func::True, 0, 0),
    ("false", Func::False, 0, 0),
    ("boolean-from-string", Func::BooleanFromString, 1, 1),
    ("checklist", Func::Checklist, 3, usize::MAX),
    ("weighted-checklist", Func::WeightedChecklist, 4, usize::MAX),
    ("random", Func::Random, 0, 0),
    ("pow", Func::Pow, 2, 2),
    ("log", Func::Log, 1, 1),
    ("log10", Func::Log10, 1, 1),
    ("abs", Func::Abs, 1, 1),
    ("sin", Func::Sin, 1, 1),
    ("cos", Func::Cos, 1, 1),
    ("tan", Func::Tan, 1, 1),
    ("asin", Func::Asin, 1, 1),
    ("acos", Func::Acos, 1, 1),
    ("atan", Func::Atan, 1, 1),
    ("atan2", Func::Atan2, 2, 2),
    ("sqrt", Func::Sqrt, 1, 1),
    ("exp", Func::Exp, 1, 1),
    ("exp10", Func::Exp10, 1, 1),
    ("pi", Func::Pi, 0, 0),
    ("floor", Func::Floor, 1, 1),
    ("ceiling", Func::Ceiling, 1, 1),
    ("count-non-empty", Func::CountNonEmpty, 1, 1),
    ("join", Func::Join, 1, usize::MAX),
    ("substring-before", Func::SubstringBefore, 2, 2),
    ("substring-after", Func::SubstringAfter, 2, 2),
    ("translate", Func::Translate, 3, 3),
    ("normalize-space", Func::NormalizeSpace, 0, 1),
    ("uuid", Func::Uuid, 0, 1),
    ("decimal-date-time", Func::DecimalDateTime, 1, 1),
    ("decimal-time", Func::DecimalTime, 1, 1),
    ("date-time", Func::DateTime, 1, 1),
    ("format-date-time", Func::FormatDateTime, 2, 2),
    ("indexed-repeat", Func::IndexedRepeat, 3, 7),
];

impl Func {
    pub(crate) fn lookup(name: &str) -> Option<(Func, usize, usize)> {
        TABLE
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|&(_, f, lo, hi)| (f, lo, hi))
    }

    pub fn name(self) -> &'static str {
        if self == Func::LastSaved {
            return "last-saved";
        }
        TABLE
            .iter()
            .find(|(_, f, ..)| *f == self)
            .map_or("?", |(n, ..)| n)
    }

    /// All function names, for "did you mean" hints and documentation.
    pub fn names() -> impl Iterator<Item = &'static str> {
        TABLE.iter().map(|(n, ..)| *n)
    }
}
