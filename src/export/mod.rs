//! Getting data out of the device: CSV for spreadsheets and ODK-minded analysts.

pub mod csv;
pub mod sink;
