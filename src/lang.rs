//! The app's own languages (not a form's): Vietnamese first, English too. The one rule for
//! choosing, used by the engine's messages, the reports and the terminal app alike: a code
//! that is not English means Vietnamese.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// `en` (or `en-…`) is English; every other code is Vietnamese.
    pub(crate) fn from_code(c: &str) -> Lang {
        let c = c.trim();
        if c.eq_ignore_ascii_case("en") || c.to_ascii_lowercase().starts_with("en-") {
            Lang::En
        } else {
            Lang::Vi
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// The Vietnamese or the English of a pair.
    pub(crate) fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn one_rule_for_every_caller() {
        assert_eq!(Lang::from_code("en"), Lang::En);
        assert_eq!(Lang::from_code("EN-gb"), Lang::En);
        assert_eq!(Lang::from_code("vi"), Lang::Vi);
        assert_eq!(Lang::from_code(""), Lang::Vi);
        assert_eq!(Lang::from_code("fr"), Lang::Vi);
        assert_eq!(Lang::En.pick("có", "yes"), "yes");
    }
}
