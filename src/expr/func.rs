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
];

impl Func {
    pub(crate) fn lookup(name: &str) -> Option<(Func, usize, usize)> {
        TABLE
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|&(_, f, lo, hi)| (f, lo, hi))
    }

    pub fn name(self) -> &'static str {
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
