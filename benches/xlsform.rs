//! Importing a 1,000-row XLSForm (read + convert + check), and writing one back out.

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;

fn benches(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xlsform/big_1000.xlsx");
    c.bench_function("import a 1,000-row XLSForm (.xlsx)", |b| {
        b.iter(|| langnghe::xlsform::import(&path).expect("imports"))
    });
    let toml = langnghe::xlsform::import(&path).expect("imports").toml;
    c.bench_function("export a 1,000-row form as an XLSForm workbook", |b| {
        b.iter(|| langnghe::xlsform::export::workbook(&toml).expect("exports"))
    });
}

criterion_group!(xlsform, benches);
criterion_main!(xlsform);
