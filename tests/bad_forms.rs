//! Each broken form in `tests/bad_forms/` must produce exactly the messages in its
//! `.expected` file, and `langnghe check` must exit non-zero on it.

use std::path::Path;
use std::process::Command;

const DIR: &str = "tests/bad_forms";

fn fixtures() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("fixture folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "fixtures missing: {names:?}");
    names
}

#[test]
fn each_bad_form_gives_its_exact_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = Vec::new();
    for name in fixtures() {
        let rel = format!("{DIR}/{name}");
        let src = std::fs::read_to_string(root.join(&rel)).expect("fixture");
        let want = std::fs::read_to_string(root.join(rel.replace(".toml", ".expected")))
            .expect("expected file");
        match langnghe::form::build(&rel, &src) {
            Ok(_) => failed.push(format!("{rel}: accepted")),
            Err(e) => {
                let got = format!("{e}\n");
                if got != want {
                    failed.push(format!("{rel}:\n--- got\n{got}--- want\n{want}"));
                }
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn check_exits_non_zero_with_every_message_on_stderr() {
    for name in fixtures() {
        let rel = format!("{DIR}/{name}");
        let out = Command::new(env!("CARGO_BIN_EXE_langnghe"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", &rel])
            .output()
            .expect("run langnghe");
        assert_eq!(out.status.code(), Some(1), "{rel}");
        let want = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(rel.replace(".toml", ".expected")),
        )
        .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), want, "{rel}");
    }
}

#[test]
fn shipped_forms_pass_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let forms = [
        "forms/child_participation.toml",
        "forms/commune_child_friendly.toml",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_langnghe"))
        .current_dir(root)
        .arg("check")
        .args(forms)
        .output()
        .expect("run langnghe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.contains("child_participation") && stdout.contains("languages vi, en"),
        "{stdout}"
    );
}
