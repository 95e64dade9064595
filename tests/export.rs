//! CSV export in ODK Central's shape, checked cell by cell on known answers.

mod common;
use common::Finish;

use chrono::{FixedOffset, TimeZone};
use langnghe::export::csv::{Options, render, tables};
use langnghe::form::build;
use langnghe::store::{Finalized, FormRef, Stamp};
use uuid::Uuid;

const FORM: &str = r#"
[settings]
id = "kids"
version = "3"
languages = ["vi"]

[[survey]]
type = "calculate"
name = "start"
calculation = "once(now())"

[[survey]]
type = "begin_group"
name = "about"
label = "Về em"

[[survey]]
type = "text"
name = "wish"
label = "Điều ước"

[[survey]]
type = "select_multiple place"
name = "places"
label = "Nơi"

[[survey]]
type = "select_one eth"
name = "ethnicity"
label = "Dân tộc"
sensitive = true

[[survey]]
type = "time"
name = "woke"
label = "Giờ dậy"

[[survey]]
type = "end_group"

[[survey]]
type = "note"
name = "thanks"
label = "Cảm ơn"

[[survey]]
type = "begin_group"
name = "hh"
label = "Gia đình"

[[survey]]
type = "begin_repeat"
name = "sib"
label = "Anh chị em"

[[survey]]
type = "integer"
name = "sib_age"
label = "Tuổi"

[[survey]]
type = "end_repeat"

[[survey]]
type = "end_group"

[[survey]]
type = "calculate"
name = "end"
calculation = "once(now())"

[[choices.place]]
name = "home"
label = "Nhà"

[[choices.place]]
name = "school"
label = "Trường"

[[choices.place]]
name = "park"
label = "Công viên"

[[choices.eth]]
name = "kinh"
label = "Kinh"
"#;

fn record(id: u128, answers: &[(&str, &str)]) -> Finalized {
    let t = FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .unwrap();
    Finalized {
        id: Uuid::from_u128(id),
        form: FormRef {
            id: "kids".into(),
            version: "3".into(),
            hash: 0,
        },
        device: Uuid::from_u128(0xd),
        seq: 1,
        surveyor: "sv07".into(),
        started: Stamp::from_local(t),
        finished: Stamp::from_local(t + chrono::Duration::minutes(12)),
        answers: answers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        paradata: vec![],
        duration_ms: 95_000,
        referral: false,
        training: false,
    }
}

const ID1: &str = "uuid:00000000-0000-0000-0000-000000000001";

#[test]
fn main_and_repeat_tables_match_odk_central_shape() {
    let form = build("kids.toml", FORM).unwrap();
    let recs = vec![
        record(
            1,
            &[
                ("start", "2026-11-29T10:00:00.000+07:00"),
                ("wish", "Sân chơi, \"bóng đá\"\nvà thư viện"),
                ("places", "school home"),
                ("ethnicity", "kinh"),
                ("woke", "06:30:00"),
                ("sib[1]/sib_age", "4"),
                ("sib[2]/sib_age", "15"),
            ],
        ),
        record(2, &[("wish", " Được đi học ")]),
    ];
    let t = tables(&form, &recs, Options::central());
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].file, "kids.csv");
    let main = render(&t[0]);
    // Central: SubmissionDate (UTC, ms, Z); every field in document order with its group
    // path (notes and calculations too; select_multiple not split unless asked); the meta
    // group; then its ten columns. `start`/`end` are the interview's own times, in ms with
    // the offset; a time answer as Collect writes it. LF, no BOM, quotes only when needed.
    let want = format!(
        "SubmissionDate,start,about-wish,about-places,about-woke,thanks,end,meta-instanceID,meta-start,meta-end,meta-duration,meta-referral,meta-training,\
         KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion\n\
         2026-11-29T03:12:00.000Z,2026-11-29T10:00:00.000+07:00,\"Sân chơi, \"\"bóng đá\"\"\nvà thư viện\",school home,06:30:00.000+07:00,,2026-11-29T10:12:00.000+07:00,{ID1},\
         2026-11-29T10:00:00.000+07:00,2026-11-29T10:12:00.000+07:00,95,0,0,{ID1},00000000-0000-0000-0000-00000000000d,sv07,0,0,,,00000000-0000-0000-0000-00000000000d,0,3\n"
    );
    assert_eq!(main.lines().next(), want.lines().next());
    assert!(main.starts_with(&want), "{main}");
    assert!(
        main.lines().nth(3).unwrap().contains(", Được đi học ,"),
        "edge spaces kept unquoted as Central does: {main}"
    );
    assert!(!main.contains("ethnicity"), "sensitive left out by default");

    // The repeat inside group `hh`: its KEY carries the group, as Central's does.
    assert_eq!(t[1].file, "kids-sib.csv");
    assert_eq!(
        render(&t[1]),
        format!("sib_age,PARENT_KEY,KEY\n4,{ID1},{ID1}/hh/sib[1]\n15,{ID1},{ID1}/hh/sib[2]\n")
    );

    let with = tables(
        &form,
        &recs,
        Options {
            include_sensitive: true,
            ..Options::central()
        },
    );
    let col = with[0]
        .header
        .iter()
        .position(|h| h == "about-ethnicity")
        .expect("sensitive column on request");
    assert_eq!(with[0].rows[0][col], "kinh");
}

#[test]
fn split_select_multiples_as_central_values_seen_sorted_zero_not_blank() {
    let form = build("kids.toml", FORM).unwrap();
    let recs = vec![
        record(1, &[("places", "school home")]),
        record(2, &[("places", "home")]),
        record(3, &[("wish", "chưa trả lời nơi nào")]),
    ];
    let opts = Options {
        split_select_multiples: true,
        ..Options::central()
    };
    let t = tables(&form, &recs, opts);
    let h = &t[0].header;
    let at = h.iter().position(|c| c == "about-places").unwrap();
    // `park` was never picked: no column, as Central (it reads values from the data).
    assert_eq!(
        h[at..at + 3],
        ["about-places", "about-places/home", "about-places/school"]
    );
    assert!(!h.iter().any(|c| c.ends_with("/park")));
    let cells: Vec<[&str; 3]> = t[0]
        .rows
        .iter()
        .map(|r| [r[at].as_str(), r[at + 1].as_str(), r[at + 2].as_str()])
        .collect();
    assert_eq!(
        cells,
        [
            ["school home", "1", "1"],
            ["home", "1", "0"],
            // Central's MEGAHACK: every split column starts at 0.
            ["", "0", "0"]
        ]
    );
    // groupPaths=false: bare names.
    let bare = tables(
        &form,
        &recs,
        Options {
            group_paths: false,
            ..opts
        },
    );
    assert!(bare[0].header.iter().any(|c| c == "places/home"));
    assert!(bare[0].header.iter().any(|c| c == "wish"));
}

#[test]
fn export_verb_writes_files_for_each_form_and_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let data = dir.path().join("data");
    let run = |args: &[&str]| common::run_in(&data, args);
    run(&[
        "simulate",
        "--form",
        "commune_child_friendly",
        "--count",
        "30",
        "--seed",
        "3",
    ]);
    run(&[
        "simulate",
        "--form",
        "forms/child_participation.toml",
        "--count",
        "20",
    ]);
    let said = run(&["export", "--format", "csv", "--out", out.to_str().unwrap()]);
    assert!(said.contains("child_participation.csv (20 rows)"), "{said}");
    assert!(
        said.contains("commune_child_friendly.csv (30 rows)"),
        "{said}"
    );
    let forums = std::fs::read_to_string(out.join("commune_child_friendly-forum.csv")).unwrap();
    let mut lines = forums.lines();
    assert_eq!(
        lines.next().unwrap(),
        "forum_date,forum_no,forum_topic,forum_children,forum_girls,forum_followed_up,PARENT_KEY,KEY"
    );
    let first = lines.next().expect("some forums were simulated");
    assert!(first.contains("/forum[1]"), "{first}");
    let main = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    assert!(!main.contains("ethnicity") && !main.contains("message_to_adults"));
}

#[test]
fn from_any_folder_the_built_in_forms_work_and_export_never_skips_silently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let elsewhere = dir.path().join("home");
    std::fs::create_dir(&elsewhere).unwrap();
    let in_home = |args: &[&str]| {
        common::langnghe()
            .current_dir(&elsewhere)
            .env_remove("LANGNGHE_FORMS")
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .finish()
    };
    // No forms folder here: the built-in child form is there all the same.
    let o = in_home(&["simulate", "--form", "child_participation", "--count", "5"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("out");
    let o = in_home(&["export", "--out", out.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(said.contains("child_participation.csv (5 rows)"), "{said}");
    // The child form's instance_name is exported as Central does, after meta-instanceID.
    let main = std::fs::read_to_string(out.join("child_participation.csv")).unwrap();
    let mut lines = main.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .contains(",meta-instanceID,meta-instanceName,meta-start,"),
        "{main}"
    );
    assert!(
        lines.all(|l| l.contains(" · ")),
        "every row has its name: {main}"
    );
    // A form known nowhere (no copy kept, no file): the export says what it left out and
    // exits non-zero.
    let form = dir.path().join("pets.toml");
    std::fs::write(
        &form,
        "[settings]\nid = \"pets\"\n\n[[survey]]\ntype = \"text\"\nname = \"a\"\nlabel = \"A\"\nrequired = true\n",
    )
    .unwrap();
    let o = in_home(&["simulate", "--form", form.to_str().unwrap(), "--count", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::remove_dir_all(data.join("form-versions").join("pets")).unwrap();
    let o = in_home(&["export", "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("left out: 2 interview(s) of form `pets`"),
        "{err}"
    );
    assert!(err.contains("child_participation.csv (5 rows)"), "{err}");
}

/// The workbook for people: a sheet per table, names over labels in the chosen language,
/// choices by label, real dates and numbers; an unknown language refused.
#[cfg(feature = "xlsx")]
#[test]
fn export_format_xlsx_writes_a_readable_workbook() {
    use calamine::{Data, Reader};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("book");
    let run = |args: &[&str]| common::run_in(&data, args);
    run(&[
        "simulate",
        "--form",
        "commune_child_friendly",
        "--count",
        "12",
        "--seed",
        "5",
    ]);
    let said = run(&["export", "--format", "xlsx", "--out", out.to_str().unwrap()]);
    assert!(
        said.contains("commune_child_friendly.xlsx (12 + "),
        "{said}"
    );
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("commune_child_friendly.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["commune_child_friendly", "forum"]);
    let forum = book.worksheet_range("forum").unwrap();
    let head: Vec<String> = forum
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(head[0], "forum_date");
    let labels: Vec<String> = forum
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(labels.iter().any(|l| l.contains("Ngày")), "{labels:?}");
    let first = forum.rows().nth(2).unwrap();
    assert!(
        matches!(first[0], Data::DateTime(_)),
        "a real date: {:?}",
        first[0]
    );
    assert!(
        matches!(first[1], Data::Float(_)),
        "a number: {:?}",
        first[1]
    );
    let o = common::langnghe()
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "export",
            "--format",
            "xlsx",
            "--label-lang",
            "fr",
        ])
        .args(["--out", out.to_str().unwrap()])
        .finish();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("no language `fr`"),
        "{err}"
    );
}

/// `--excel` writes what Excel opens with a double click (BOM, CRLF); `--zip` one
/// `FORM.csv.zip` holding the tables, as Central's download; the default is Central's bytes.
#[test]
fn excel_and_zip_options() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| common::run_in(&data, args);
    run(&[
        "simulate",
        "--form",
        "commune_child_friendly",
        "--count",
        "5",
        "--seed",
        "2",
    ]);
    let plain = dir.path().join("plain");
    run(&["export", "--out", plain.to_str().unwrap()]);
    let bytes = std::fs::read(plain.join("commune_child_friendly.csv")).unwrap();
    assert!(!bytes.starts_with("\u{feff}".as_bytes()) && !bytes.contains(&b'\r'));
    let excel = dir.path().join("excel");
    run(&["export", "--excel", "--out", excel.to_str().unwrap()]);
    let text = std::fs::read_to_string(excel.join("commune_child_friendly.csv")).unwrap();
    assert!(text.starts_with('\u{feff}') && text.lines().count() == 6);
    assert!(text.split_inclusive('\n').all(|l| l.ends_with("\r\n")));
    let zipped = dir.path().join("zip");
    let said = run(&["export", "--zip", "--out", zipped.to_str().unwrap()]);
    assert!(
        said.contains("commune_child_friendly.csv.zip (5 + "),
        "{said}"
    );
    let f = std::fs::File::open(zipped.join("commune_child_friendly.csv.zip")).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut names: Vec<String> = z.file_names().map(String::from).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "commune_child_friendly-forum.csv",
            "commune_child_friendly.csv"
        ]
    );
    let mut main = String::new();
    z.by_name("commune_child_friendly.csv")
        .unwrap()
        .read_to_string(&mut main)
        .unwrap();
    assert_eq!(
        main.as_bytes(),
        bytes.as_slice(),
        "the same bytes as the plain export"
    );
    assert!(
        !zipped.join("commune_child_friendly.csv").exists(),
        "no loose copies left"
    );
}
