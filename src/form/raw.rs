//! Phase one of loading: the TOML file as loose, position-carrying structures.
//!
//! Rows are kept as maps of spanned values (not typed structs) so that phase two can report
//! every unknown or mistyped field with its position, instead of stopping at the first.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type Row = BTreeMap<String, Spanned<toml::Value>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForm {
    pub settings: Spanned<Row>,
    #[serde(default)]
    pub survey: Vec<Spanned<Row>>,
    #[serde(default)]
    pub choices: BTreeMap<String, Spanned<Vec<Spanned<Row>>>>,
}

pub fn parse(src: &str) -> Result<RawForm, toml::de::Error> {
    toml::from_str(src)
}
