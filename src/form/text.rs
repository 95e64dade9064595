//! Text shown to people, in several languages (`vi`, `en`, …), with `${name}` placeholders.

/// A label, hint or message: one string per language code, in declaration order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub by_lang: Vec<(String, String)>,
}

impl Text {
    pub fn single(lang: &str, s: &str) -> Text {
        Text {
            by_lang: vec![(lang.to_string(), s.to_string())],
        }
    }

    /// The text in `lang`, else in the first language that has one.
    pub fn get(&self, lang: &str) -> &str {
        self.by_lang
            .iter()
            .find(|(l, _)| l == lang)
            .or_else(|| self.by_lang.first())
            .map_or("", |(_, s)| s.as_str())
    }

    pub fn has(&self, lang: &str) -> bool {
        self.by_lang.iter().any(|(l, _)| l == lang)
    }
}

/// The `${name}` placeholders in a text, with their byte offsets.
pub(crate) fn placeholders(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("${") {
        let start = from + i;
        let Some(end) = s[start..].find('}') else {
            break;
        };
        out.push((start, s[start + 2..start + end].trim()));
        from = start + end + 1;
    }
    out
}

/// Replaces each `${name}` in `s` with `lookup(name)`.
pub(crate) fn interpolate(s: &str, mut lookup: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (start, name) in placeholders(s) {
        out.push_str(&s[last..start]);
        out.push_str(&lookup(name));
        last = start + s[start..].find('}').map_or(s.len() - start, |e| e + 1);
    }
    out.push_str(&s[last..]);
    out
}
