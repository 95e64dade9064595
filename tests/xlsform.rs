//! XLSForm import: Excel (.xlsx, .xls) and pyxform markdown, every supported type, aliases,
//! languages, nested repeats, cascading selects, broken forms, and a round trip.

use chrono::{FixedOffset, TimeZone};
use langnghe::form::{Form, Kind};
use langnghe::interview::{Interview, Item};
use langnghe::xlsform::import;
use std::path::Path;
use std::sync::Arc;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/xlsform")
        .join(name)
}

fn now() -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .unwrap()
}

/// Exactly one warning, and it ends with `tail` (the file's folder differs from run to run).
fn one_warning(warnings: &[String], tail: &str) {
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].ends_with(tail), "{warnings:?}");
}

fn kind_of(f: &Form, name: &str) -> Kind {
    f.node(f.by_name[name]).kind.clone()
}

#[test]
fn every_supported_type_groups_and_nested_repeats_from_markdown() {
    let imp = import(&fixture("all_types.md")).unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    assert_eq!(
        (f.id.as_str(), f.version.as_str()),
        ("all_types_md", "2026112901")
    );
    assert_eq!(
        f.languages,
        ["vi", "en"],
        "default_language `Tiếng Việt (vi)` comes first"
    );
    assert_eq!(f.title.get("en"), "Mọi loại câu");
    for (name, want) in [
        ("school", "Text"),
        ("age", "Integer"),
        ("weight", "Decimal"),
        ("dob", "Date"),
        ("t", "Time"),
        ("dt", "DateTime"),
        ("ok", "Acknowledge"),
        ("double", "Calculate"),
        ("bye", "Note"),
        ("g", "Group"),
        ("kids", "Repeat"),
    ] {
        // The variant's name: kinds carry data (a calculation, a repeat's count) that this
        // test does not compare.
        let got = format!("{:?}", kind_of(f, name));
        let got = got.split(['(', ' ']).next().unwrap_or_default().to_string();
        assert_eq!(got, want, "{name}");
    }
    assert!(matches!(kind_of(f, "bike"), Kind::SelectOne(_)));
    assert!(matches!(kind_of(f, "fruit"), Kind::SelectMultiple(_)));
    assert!(matches!(kind_of(f, "fav"), Kind::Rank(_)));
    assert!(matches!(kind_of(f, "happy"), Kind::Range(_)));
    let toy = f.node(f.by_name["toy"]);
    assert_eq!(
        toy.chain,
        vec![f.by_name["kids"], f.by_name["toys"]],
        "repeats nest"
    );
    assert!(imp.warnings.is_empty(), "{:?}", imp.warnings);
    // `relevance` (an alias) became `relevant`; `true()` became required.
    assert!(f.node(f.by_name["bike"]).relevant.is_some());
    assert!(matches!(
        f.node(f.by_name["age"]).required,
        langnghe::form::Flag::Yes
    ));
}

#[test]
fn xlsx_and_xls_give_the_same_form_with_cascades_repeat_counts_and_defaults() {
    let a = import(&fixture("cascade_repeat.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    let b = import(&fixture("cascade_repeat.xls")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.toml, b.toml, ".xls and .xlsx read alike");
    one_warning(
        &a.warnings,
        "cascade_repeat.xlsx:survey:R12:media::image: warning: media is not supported; ignored",
    );
    let form = Arc::new(a.form);
    let mut iv = Interview::new(form.clone(), now());
    let id = |n: &str| form.by_name[n];
    // Capitalised headers (Type, Name, Relevant…) and numeric choice names (11, 15) survive.
    iv.answer(id("province"), &[], "11").unwrap();
    let offered: Vec<String> = iv
        .choices(id("commune"), &[])
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(
        offered,
        ["03160", "03199"],
        "choice_filter with an extra choices column"
    );
    iv.answer(id("age"), &[], "12").unwrap();
    assert_eq!(iv.answer(id("age"), &[], "19"), Err("0 đến 17".into()));
    iv.answer(id("n_kids"), &[], "2").unwrap();
    assert_eq!(
        iv.repeat_len(id("sib"), &[]),
        2,
        "repeat_count from ${{n_kids}}"
    );
    assert_eq!(iv.label(id("sib_age"), &[1]), "Tuổi anh chị em 2");
    assert_eq!(iv.value(id("code"), &[]).to_str(), "X1", "default");
    assert!(iv.is_read_only(id("code"), &[]));
    assert!(
        iv.answer(id("happy"), &[], "6").is_err(),
        "range parameters start=1 end=5"
    );
    assert_eq!(form.node(id("happy")).appearance.as_deref(), Some("likert"));
}

#[test]
fn labels_without_a_language_and_no_settings() {
    let imp = import(&fixture("plain_labels.md")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        imp.form.id, "plain_labels",
        "the file name stands in for form_id"
    );
    assert_eq!(imp.form.languages, ["default"]);
    let q = imp.form.node(imp.form.by_name["q1"]);
    assert_eq!(q.label.as_ref().unwrap().get("vi"), "First question");
    assert_eq!(q.hint.as_ref().unwrap().get("default"), "any text");
}

#[test]
fn broken_forms_list_every_problem_by_sheet_row_and_column() {
    for name in ["broken", "broken_expressions", "broken_no_survey"] {
        let path = format!("tests/xlsform/{name}.md");
        let want = std::fs::read_to_string(fixture(&format!("{name}.expected"))).unwrap();
        let got = std::process::Command::new(env!("CARGO_BIN_EXE_langnghe"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", &path])
            .output()
            .unwrap();
        assert_eq!(got.status.code(), Some(1), "{name}");
        assert_eq!(String::from_utf8_lossy(&got.stderr), want, "{name}");
    }
    let broken = std::fs::read_to_string(fixture("broken.expected")).unwrap();
    assert!(broken.contains("broken.md:survey:R5:relevant: unknown question `${agee}`"));
    assert!(
        broken.contains("survey:R3:type: warning: `geopoint` questions are not supported"),
        "left out, but said"
    );
}

/// Import → write the TOML → `check` it → the same scripted interview through the engine
/// gives the same answers from the spreadsheet and from the file.
#[test]
fn round_trip_import_check_interview() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cascade.toml");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_langnghe"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["import-xlsform", "tests/xlsform/cascade_repeat.xlsx", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_langnghe"))
        .arg("check")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let from_xlsx = Arc::new(import(&fixture("cascade_repeat.xlsx")).unwrap().form);
    let from_toml = Arc::new(langnghe::form::load(&out).unwrap());
    let script = ["15", "02686", "9", "1", "4", "3"];
    let answers = |form: Arc<Form>| {
        let mut iv = Interview::new(form, now());
        let mut typed = script.iter();
        let mut visited = Vec::new();
        while let Some(item) = iv.current().cloned() {
            if let Item::Question { node, path } = &item {
                visited.push(iv.key(*node, path));
                if iv.form().node(*node).kind.takes_answer()
                    && !iv.is_read_only(*node, path)
                    && let Some(raw) = typed.next()
                {
                    iv.answer(*node, path, raw).unwrap();
                }
            }
            iv.advance().unwrap();
        }
        (visited, iv.answers())
    };
    let (v1, a1) = answers(from_xlsx);
    let (v2, a2) = answers(from_toml);
    assert_eq!(v1, v2, "same questions shown");
    assert_eq!(a1, a2, "same answers out");
    assert!(
        a1.contains(&("sib[1]/sib_age".to_string(), "4".to_string())),
        "{a1:?}"
    );
}

#[test]
fn an_xlsform_in_the_forms_folder_opens_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("cascade_repeat.xlsx"),
        dir.path().join("cascade_repeat.xlsx"),
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"),
        dir.path().join("c.toml"),
    )
    .unwrap();
    let (forms, errors) = langnghe::catalog::load_dir(dir.path());
    assert!(errors.is_empty(), "{errors:?}");
    let ids: Vec<&str> = forms.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["commune_child_friendly", "xls_demo"]);
}

#[test]
fn guidance_hints_come_across_for_the_surveyor() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("g.md");
    std::fs::write(
        &md,
        "| survey |\n|        | type | name | label | guidance_hint |\n|        | select_multiple fr | fruit | Fruit? | Read every choice aloud. |\n| choices |\n|        | list_name | name | label |\n|        | fr | a | Apple |\n|        | fr | b | Banana |\n",
    )
    .unwrap();
    let imp = import(&md).unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    let n = f.node(f.by_name["fruit"]);
    let g = n.guidance.as_ref().expect("guidance kept");
    assert_eq!(g.get(&f.default_language), "Read every choice aloud.");
    assert!(
        imp.warnings.iter().all(|w| !w.contains("guidance")),
        "{:?}",
        imp.warnings
    );
}

#[test]
fn legacy_spellings_pyxform_still_reads_import_as_it_reads_them() {
    let imp = import(&fixture("legacy_syntax.md")).unwrap_or_else(|e| panic!("{e}"));
    assert!(imp.warnings.is_empty(), "{:?}", imp.warnings);
    let f = &imp.form;
    // `id_string` and `title` are pyxform's own names for the form id and title.
    assert_eq!(
        (f.id.as_str(), f.title.get("en")),
        ("legacy_form", "Old-style form")
    );
    // `label:English (en)`: one colon before the language, as pyxform allows.
    assert_eq!(f.languages, ["vi", "en"]);
    let agrees = f.node(f.by_name["agrees"]);
    assert_eq!(
        agrees.label.as_ref().unwrap().get("vi"),
        "Em có đồng ý không?"
    );
    assert!(matches!(kind_of(f, "agrees"), Kind::SelectOne(_)));
    assert!(matches!(kind_of(f, "places"), Kind::SelectMultiple(_)));
    assert!(matches!(kind_of(f, "nickname"), Kind::Text));
    assert!(matches!(kind_of(f, "siblings"), Kind::Integer));
    // The group closed by an `end group` that named something else still holds its question.
    assert!(f.by_name.contains_key("more") && f.by_name.contains_key("wish"));
}

#[test]
fn one_colon_names_a_language_only_on_text_columns() {
    use langnghe::xlsform::convert::header;
    let h = |s: &str| header(s);
    assert_eq!(h("label:English (en)"), ("label".into(), Some("en".into())));
    assert_eq!(h("hint:Français (fr)"), ("hint".into(), Some("fr".into())));
    assert_eq!(
        h("label::Tiếng Việt (vi)"),
        ("label".into(), Some("vi".into()))
    );
    // Elsewhere the colon is part of the column's name (pyxform's `jr:` and `media:` columns).
    assert_eq!(h("jr:choice-name"), ("jr:choice-name".into(), None));
    assert_eq!(h("bind:jr:constraintMsg").1, None);
}

#[test]
fn cells_excel_shows_as_times_and_dates_are_read_as_such_not_as_day_counts() {
    let imp = import(&fixture("typed_cells.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    // The defaults reach the TOML as the spreadsheet shows them.
    assert!(imp.toml.contains("default = \"09:30:00\""), "{}", imp.toml);
    assert!(
        imp.toml.contains("default = \"2026-11-29\""),
        "{}",
        imp.toml
    );
    assert!(imp.toml.contains("default = \"3\""), "{}", imp.toml);
}

/// Writes a markdown XLSForm to a temp folder and imports it.
fn import_md(md: &str) -> Result<langnghe::xlsform::Imported, String> {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("form.md");
    std::fs::write(&p, md).unwrap();
    import(&p).map_err(|e| e.to_string())
}

#[test]
fn range_parameters_separated_as_pyxform_allows() {
    let imp = import_md(
        "| survey |       |      |       |                        |\n\
         |        | type  | name | label | parameters             |\n\
         |        | range | a    | A     | start=1, end=5, step=1 |\n\
         |        | range | b    | B     | start = 2; end = 6     |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(imp.warnings.is_empty(), "{:?}", imp.warnings);
    assert!(
        imp.toml.contains("start = 1, end = 5, step = 1"),
        "{}",
        imp.toml
    );
    assert!(imp.toml.contains("start = 2, end = 6"), "{}", imp.toml);
}

#[test]
fn entities_and_search_are_named_not_silently_dropped() {
    let e = import_md(
        "| survey |              |      |       |                  |\n\
         |        | type         | name | label | appearance       |\n\
         |        | select_one l | s    | S     | search('fruits') |\n\
         | choices |     |      |       |\n\
         |         | list_name | name | label |\n\
         |         | l   | a    | A     |\n\
         | entities |    |       |\n\
         |          | list_name | label |\n\
         |          | people | x |\n",
    )
    .err()
    .expect("search() cannot run here");
    assert!(
        e.contains("form.md:survey:R2:appearance: `search()`"),
        "{e}"
    );
    assert!(e.contains("form.md:entities:R1: warning: entities"), "{e}");
}

#[test]
fn a_choice_without_a_label_shows_its_name_with_a_warning_as_pyxform_allows() {
    let imp = import_md(
        "| survey |              |      |       |\n\
         |        | type         | name | label |\n\
         |        | select_one l | q    | Q     |\n\
         | choices |   |      |       |\n\
         |         | list_name | name | label |\n\
         |         | l | a    |       |\n\
         |         | l | b    | B     |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    one_warning(
        &imp.warnings,
        "form.md:choices:R2:name: warning: choice `a` has no label; its name is shown",
    );
    assert!(imp.toml.contains("label.default = \"a\""), "{}", imp.toml);
}

#[test]
fn or_other_adds_the_other_choice_and_the_specify_question_as_pyxform_does() {
    let imp = import_md(
        "| survey |                         |      |       |\n\
         |        | type                    | name | label |\n\
         |        | select_one c or_other   | q1   | Q1    |\n\
         |        | select_one d or other   | q2   | Q2    |\n\
         | choices |           |       |       |\n\
         |         | list_name | name  | label |\n\
         |         | c         | a     | A     |\n\
         |         | d         | x     | X     |\n\
         |         | d         | other | Khác  |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    let c = f.list_of(f.by_name["q1"]).unwrap();
    assert_eq!(
        c.choices
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "other"]
    );
    // A list that has its own `other` keeps it, once.
    let d = f.list_of(f.by_name["q2"]).unwrap();
    assert_eq!(d.choices.len(), 2);
    assert_eq!(d.choices[1].label.get("default"), "Khác");
    let mut iv = langnghe::interview::Interview::new(Arc::new(imp.form), now());
    let other = iv.form().by_name["q1_other"];
    assert!(!iv.items().iter().any(|i| i.node() == other));
    let q1 = iv.form().by_name["q1"];
    iv.answer(q1, &[], "other").unwrap();
    assert!(iv.items().iter().any(|i| i.node() == other));
    let err = import_md(
        "| survey |                       |      |       |               |\n\
         |        | type                  | name | label | choice_filter |\n\
         |        | select_one c or_other | q1   | Q1    | true()        |\n\
         | choices |           |      |       |\n\
         |         | list_name | name | label |\n\
         |         | c         | a    | A     |\n",
    )
    .err()
    .unwrap();
    assert!(
        err.contains("form.md:survey:R2:type: `or_other` cannot be used with a `choice_filter`"),
        "{err}"
    );
}

#[test]
fn metadata_rows_stay_referable_but_identifiers_are_not_collected() {
    let imp = import_md(
        "| survey |          |          |                                  |\n\
         |        | type     | name     | label                            |\n\
         |        | start    | start    |                                  |\n\
         |        | deviceid | deviceid |                                  |\n\
         |        | note     | n        | Bắt đầu ${start} trên ${deviceid} |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imp.warnings.len(), 2, "{:?}", imp.warnings);
    assert!(
        imp.warnings[1].contains("not collected"),
        "{:?}",
        imp.warnings
    );
    let iv = langnghe::interview::Interview::new(Arc::new(imp.form), now());
    let start = iv.form().by_name["start"];
    assert!(iv.value(start, &[]).to_str().starts_with("2026-11-29T"));
    let dev = iv.form().by_name["deviceid"];
    assert!(iv.value(dev, &[]).is_blank());
}

#[test]
fn what_pyxform_refuses_is_refused_at_its_cell() {
    let cases: &[(&str, &str)] = &[
        (
            "| survey | | |\n| | name | label |\n| | a | A |\n",
            "form.md:survey:R1: the survey sheet has no `type` column",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | text | meta | M |\n",
            "form.md:survey:R2:name: the name `meta` is reserved",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | begin repeat | data | D |\n| | text | t | T |\n| | end repeat | | |\n",
            "form.md:survey:R2:name: a repeat cannot be named `data`",
        ),
        (
            "| survey | | | | |\n| | type | name | label | repeat_count |\n| | integer | r_count | N | |\n| | begin repeat | r | R | ${r_count} + 1 |\n| | text | t | T | |\n| | end repeat | | | |\n",
            "form.md:survey:R3:name: `r_count` is the name pyxform gives this repeat's count",
        ),
        (
            "| survey | | | | |\n| | type | name | label | save_to |\n| | text | a | A | x |\n",
            "form.md:survey:R2:save_to: `save_to` saves to an entity, and there is no entities sheet",
        ),
        (
            "| survey | | | |\n| | type | name | label |\n| | select_multiple c | a | A |\n| choices | | | |\n| | list_name | name | label |\n| | c | x y | XY |\n",
            "has a space in its name, which a select_multiple or rank answer cannot hold",
        ),
    ];
    for (md, want) in cases {
        let err = import_md(md)
            .err()
            .unwrap_or_else(|| panic!("accepted:\n{md}"));
        assert!(err.contains(want), "want {want}\ngot {err}");
    }
    // A select_one may have a choice name with a space, as in pyxform.
    let ok = import_md(
        "| survey | | | |\n| | type | name | label |\n| | select_one c | a | A |\n| choices | | | |\n| | list_name | name | label |\n| | c | x y | XY |\n",
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[test]
fn calculation_trigger_and_dynamic_default_columns_come_across() {
    let imp = import_md(
        "| survey |         |       |       |             |         |          |\n\
         |        | type    | name  | label | calculation | trigger | default  |\n\
         |        | integer | a     | A     |             |         |          |\n\
         |        | integer | b     | B     | ${a} * 2    | ${a}    |          |\n\
         |        | date    | d     | D     |             |         | today()  |\n\
         |        | integer | h     |       | ${a} + 1    |         |          |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(imp.warnings.is_empty(), "{:?}", imp.warnings);
    let f = &imp.form;
    let b = f.node(f.by_name["b"]);
    assert_eq!(b.triggers().count(), 1);
    assert!(f.node(f.by_name["d"]).dynamic_default.is_some());
    // Neither label nor hint: a hidden calculation of that type.
    assert!(matches!(f.node(f.by_name["h"]).kind, Kind::Calculate(_)));
}

#[test]
fn a_loop_over_a_list_becomes_one_group_per_choice() {
    let imp = import_md(
        "| survey |                       |         |                         |\n\
         |        | type                  | name    | label                   |\n\
         |        | begin loop over fruit | each    | Fruits                  |\n\
         |        | integer               | count   | How many %(label)s?     |\n\
         |        | end loop              |         |                         |\n\
         | choices |           |        |        |\n\
         |         | list_name | name   | label  |\n\
         |         | fruit     | mango  | Xoài   |\n\
         |         | fruit     | banana | Chuối  |\n\
         |         | fruit     | none   | None   |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    // The same name in each choice's group, kept apart by its path; `none` is left out.
    let m = f.by_name["each:mango:count"];
    let b = f.by_name["each:banana:count"];
    assert!(!f.by_name.contains_key("each:none:count"));
    let iv = langnghe::interview::Interview::new(Arc::new(imp.form), now());
    assert_eq!(iv.label(m, &[]), "How many Xoài?");
    assert_eq!(iv.label(b, &[]), "How many Chuối?");
}

#[test]
fn rows_pyxform_skips_or_completes_are_read_as_pyxform_reads_them() {
    let imp = import_md(
        "| survey |          |       |       |          |            |\n\
         |        | type     | name  | label | disabled | notes      |\n\
         |        | text     | a     | A     |          |            |\n\
         |        | text     | b     | B     | yes      |            |\n\
         |        |          |       |       |          | a comment  |\n\
         |        | note     |       | Hi    |          |            |\n\
         |        | uri:deviceid | did |     |          |            |\n\
         | settings |          |               |\n\
         |          | form_id  | instance_name |\n\
         |          | Spec test | my-form      |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    assert!(!f.by_name.contains_key("b"), "a disabled row is left out");
    assert!(f.by_name.contains_key("generated_note_name_5"));
    assert!(f.by_name.contains_key("did"));
    assert_eq!(f.id, "Spec_test");
    let w = imp.warnings.join("\n");
    assert!(
        w.contains("form.md:survey:R4:type: warning: a row with no type, name or label is skipped"),
        "{w}"
    );
    assert!(
        w.contains("form id `Spec test` is written `Spec_test`"),
        "{w}"
    );
    assert!(
        w.contains("instance_name `my-form` is read as the text 'my-form'"),
        "{w}"
    );
    // A column given twice: the first is used, and said.
    let imp = import_md(
        "| survey |      |      |      |       |\n\
         |        | type | name | name | label |\n\
         |        | text | a    | b    | A     |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(imp.form.by_name.contains_key("a"));
    one_warning(
        &imp.warnings,
        "column `name` appears twice; the first is used",
    );
}

#[test]
fn select_one_external_reads_its_list_from_the_external_choices_sheet() {
    let imp = import_md(
        "| survey |                        |      |       |\n\
         |        | type                   | name | label |\n\
         |        | select_one c           | q1   | Q1    |\n\
         |        | select_one_external c  | q2   | Q2    |\n\
         | choices |           |       |       |\n\
         |         | list_name | name  | label |\n\
         |         | c         | a     | A     |\n\
         | external_choices |  |       |       |\n\
         |         | list_name | name  | label |\n\
         |         | c         | x     | X     |\n\
         |         | c         | y     | Y     |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    assert_eq!(f.list_of(f.by_name["q1"]).unwrap().choices.len(), 1);
    let ext = f.list_of(f.by_name["q2"]).unwrap();
    assert_eq!(ext.name, "c_external");
    assert_eq!(ext.choices.len(), 2);
}

#[test]
fn a_workbook_of_one_sheet_is_the_survey_and_reading_stops_where_pyxform_stops() {
    let imp = import(&fixture("stray_rows.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imp.form.question_count(), 2);
}

#[cfg(feature = "xlsx")]
/// A form's TOML as plain data for comparing forms: every scalar as text, a text without
/// a language under the default one, the names end rows carry left out, and the title in
/// the default language only (XLSForm has one `form_title`).
fn semantic(src: &str) -> toml::Value {
    use toml::Value as T;
    let v: T = toml::from_str(src).unwrap();
    let settings = v["settings"].as_table().unwrap();
    let default = settings
        .get("default_language")
        .or_else(|| settings.get("languages").and_then(|l| l.get(0)))
        .and_then(|d| d.as_str())
        .unwrap_or("vi")
        .to_string();
    let texts = [
        "label",
        "hint",
        "guidance_hint",
        "required_message",
        "constraint_message",
    ];
    let scalar = |x: &T| match x {
        T::String(s) => T::String(s.clone()),
        T::Table(t) => T::Table(
            t.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        T::String(v.to_string().trim_matches('"').to_string()),
                    )
                })
                .collect(),
        ),
        other => T::String(other.to_string()),
    };
    let row = |r: &T| -> T {
        let mut out = toml::Table::new();
        let end = r
            .get("type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("end"));
        for (k, x) in r.as_table().unwrap() {
            if end && k == "name" {
                continue;
            }
            let x = match x {
                T::String(s) if texts.contains(&k.as_str()) => T::Table(
                    [(default.clone(), T::String(s.clone()))]
                        .into_iter()
                        .collect(),
                ),
                x => scalar(x),
            };
            out.insert(k.clone(), x);
        }
        T::Table(out)
    };
    let mut s = toml::Table::new();
    for k in [
        "id",
        "version",
        "default_language",
        "languages",
        "instance_name",
        "not_eligible",
    ] {
        if let Some(x) = settings.get(k) {
            s.insert(k.into(), x.clone());
        }
    }
    let title = settings.get("title").map(|t| match t {
        T::Table(t) => t.get(&default).cloned().unwrap_or(T::String(String::new())),
        other => other.clone(),
    });
    s.insert("title".into(), title.unwrap_or(T::String(String::new())));
    let survey: Vec<T> = v
        .get("survey")
        .and_then(|x| x.as_array())
        .map_or(Vec::new(), |a| a.iter().map(row).collect());
    let choices: toml::Table =
        v.get("choices")
            .and_then(|c| c.as_table())
            .map_or(toml::Table::new(), |c| {
                c.iter()
                    .map(|(l, rows)| {
                        (
                            l.clone(),
                            T::Array(rows.as_array().unwrap().iter().map(row).collect()),
                        )
                    })
                    .collect()
            });
    T::Table(
        [
            ("settings".to_string(), T::Table(s)),
            ("survey".to_string(), T::Array(survey)),
            ("choices".to_string(), T::Table(choices)),
        ]
        .into_iter()
        .collect(),
    )
}

/// Writes a form's TOML out as a workbook and imports it back.
#[cfg(feature = "xlsx")]
fn round_trip(src: &str) -> String {
    let bytes = langnghe::xlsform::export::workbook(src).unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("back.xlsx");
    std::fs::write(&p, bytes).unwrap();
    import(&p).unwrap_or_else(|e| panic!("{e}")).toml
}

#[cfg(feature = "xlsx")]
#[test]
fn every_shipped_form_and_fixture_goes_out_to_excel_and_back_unchanged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources: Vec<(String, String)> = Vec::new();
    for e in std::fs::read_dir(root.join("forms")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".toml") && !name.ends_with(".indicators.toml") {
            sources.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    for name in [
        "all_types.md",
        "legacy_syntax.md",
        "plain_labels.md",
        "cascade_repeat.xlsx",
        "typed_cells.xlsx",
    ] {
        let imp = import(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        sources.push((name.to_string(), imp.toml));
    }
    assert!(sources.len() >= 7);
    for (name, src) in sources {
        let back = round_trip(&src);
        let want = semantic(&src);
        assert!(!want["survey"].as_array().unwrap().is_empty(), "{name}");
        assert_eq!(want, semantic(&back), "{name}\n--- back ---\n{back}");
    }
}

#[test]
fn messages_name_spreadsheet_rows_never_lines_of_the_generated_form() {
    let err = import_md(
        "| survey |             |      |       |\n\
         |        | type        | name | label |\n\
         |        | text        | a    | A     |\n\
         |        | begin group | g    | G     |\n\
         |        | end group   |      |       |\n\
         |        | text        | a    | A2    |\n",
    )
    .err()
    .unwrap();
    assert!(
        err.contains("form.md:survey:R5:name: duplicate name `a` (first used on survey row 2)"),
        "{err}"
    );
    assert!(!err.contains("line"), "{err}");
}

#[test]
fn parameters_are_checked_as_pyxform_checks_them() {
    let md = |ty: &str, params: &str, app: &str| {
        format!(
            "| survey | | | | | |\n| | type | name | label | parameters | appearance |\n\
             | | {ty} | a | A | {params} | {app} |\n\
             | choices | | | |\n| | list_name | name | label |\n| | c | x | X |\n\
             | | ticks | 1 | low |\n| | ticks | 5 | high |\n| | words | lo | low |\n"
        )
    };
    let refused: &[(&str, &str, &str, &str)] = &[
        (
            "range",
            "start=1 stop=5",
            "",
            "range parameters are start, end, step, tick_interval, placeholder, tick_labelset; `stop` is not one",
        ),
        (
            "range",
            "placeholder=abc",
            "",
            "range parameter `placeholder` must be a number",
        ),
        (
            "range",
            "tick_labelset=nope",
            "",
            "`nope`, which is not a list on the choices sheet",
        ),
        (
            "range",
            "tick_labelset=words",
            "",
            "list `words` must have numbers as its choice names",
        ),
        (
            "range",
            "start=1 end=10 tick_labelset=ticks",
            "no-ticks",
            "may only name the range's start and end",
        ),
        (
            "select_one c",
            "randomize=ukanga",
            "",
            "`randomize` must be true or false, not `ukanga`",
        ),
        (
            "select_one c",
            "randomize=true seed=abc",
            "",
            "`seed` must be a number or a reference",
        ),
        (
            "select_one c",
            "randomize=true colour=red",
            "",
            "select parameters are randomize and seed; `colour` is not one",
        ),
    ];
    for (ty, params, app, want) in refused {
        let err = import_md(&md(ty, params, app))
            .err()
            .unwrap_or_else(|| panic!("accepted {ty} {params}"));
        assert!(err.contains(want), "{ty} {params}: want {want}\ngot {err}");
    }
    let ok = import_md(&md(
        "range",
        "start=1 end=5 tick_labelset=ticks",
        "no-ticks",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    one_warning(
        &ok.warnings,
        "only change how ODK draws a range; here it is shown as numbers",
    );
    let ok = import_md(&md("select_one c", "randomize=true seed=42", ""))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ok.toml
            .contains("parameters = { randomize = true, seed = 42 }"),
        "{}",
        ok.toml
    );
}

#[test]
fn randomized_choices_keep_one_order_per_interview() {
    let imp = import_md(
        "| survey | | | | |\n| | type | name | label | parameters |\n\
         | | select_one c | a | A | randomize=true |\n\
         | choices | | | |\n| | list_name | name | label |\n\
         | | c | c1 | 1 |\n| | c | c2 | 2 |\n| | c | c3 | 3 |\n| | c | c4 | 4 |\n| | c | c5 | 5 |\n| | c | c6 | 6 |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = Arc::new(imp.form);
    let a = f.by_name["a"];
    let order = |seed: u64| {
        let mut iv = langnghe::interview::Interview::new(f.clone(), now());
        iv.set_seed(seed);
        iv.choices(a, &[])
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    // The same interview sees the same order every time; interviews differ.
    assert_eq!(order(7), order(7));
    let orders: std::collections::HashSet<Vec<String>> = (0..20).map(order).collect();
    assert!(orders.len() > 5, "{orders:?}");
    let mut sorted = order(3);
    sorted.sort();
    assert_eq!(sorted, ["c1", "c2", "c3", "c4", "c5", "c6"]);
}

#[test]
fn or_other_speaks_vietnamese_in_a_vietnamese_column() {
    let imp = import_md(
        "| survey | | | | |\n| | type | name | label::Tiếng Việt (vi) | label::English (en) |\n\
         | | select_one c or_other | q | Câu hỏi | Question |\n\
         | choices | | | | |\n| | list_name | name | label::Tiếng Việt (vi) | label::English (en) |\n\
         | | c | a | A | A |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &imp.form;
    let other = f.list_of(f.by_name["q"]).unwrap().find("other").unwrap();
    assert_eq!(other.label.get("vi"), "Khác");
    assert_eq!(other.label.get("en"), "Other");
    let spec = f.node(f.by_name["q_other"]).label.as_ref().unwrap();
    assert_eq!(spec.get("vi"), "Ghi rõ lựa chọn khác.");
}

#[test]
fn a_hint_without_a_label_and_a_spaced_choice_name_are_taken_with_a_warning() {
    let imp = import_md(
        "| survey | | | |\n| | type | name | hint |\n| | select_one c | q | Chọn một |\n\
         | choices | | | |\n| | list_name | name | label |\n| | c | option a | A |\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let w = imp.warnings.join("\n");
    assert!(w.contains("form.md:survey:R2:name: warning: `q` has a hint but no label; its name is shown as the label"), "{w}");
    assert!(
        w.contains("form.md:choices:R2:name: warning: choice name `option a` holds a space"),
        "{w}"
    );
    let iv = langnghe::interview::Interview::new(Arc::new(imp.form), now());
    let q = iv.form().by_name["q"];
    assert_eq!(iv.label(q, &[]), "q");
}
