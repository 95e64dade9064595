//! Scripted interviews through the forms we ship: the paths a real interview takes.

use chrono::{FixedOffset, TimeZone};
use langnghe::form::{Form, load};
use langnghe::interview::{Cursor, Interview, Item};
use std::path::Path;
use std::sync::Arc;

fn open(name: &str) -> Interview {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("forms")
        .join(name);
    let form: Arc<Form> = Arc::new(load(&path).unwrap_or_else(|e| panic!("{e}")));
    let now = FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .unwrap();
    Interview::new(form, now)
}

/// Answers the current question with `raw` (or just moves on past a note) and goes next.
fn say(iv: &mut Interview, name: &str, raw: &str) {
    let Some(Item::Question { node, path }) = iv.current().cloned() else {
        panic!("expected {name}, at {:?}", iv.cursor())
    };
    assert_eq!(iv.form().node(node).name, name, "wrong question");
    if !raw.is_empty() {
        iv.answer(node, &path, raw)
            .unwrap_or_else(|e| panic!("{name}={raw}: {e}"));
    }
    iv.advance()
        .unwrap_or_else(|e| panic!("next from {name}: {e}"));
}

fn get(iv: &Interview, name: &str) -> String {
    iv.answers()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[test]
fn guardian_refusal_ends_the_interview_and_can_be_finalized() {
    let mut iv = open("child_participation.toml");
    say(&mut iv, "guardian_info", "");
    say(&mut iv, "guardian_consent", "no");
    say(&mut iv, "guardian_declined", "");
    assert_eq!(iv.cursor(), &Cursor::End);
    assert!(iv.review().can_finalize());
    assert_eq!(get(&iv, "outcome"), "no_consent");
}

#[test]
fn consent_has_no_default_and_cannot_be_skipped() {
    let mut iv = open("child_participation.toml");
    say(&mut iv, "guardian_info", "");
    assert!(iv.advance().is_err(), "guardian consent is required");
    assert!(!iv.review().can_finalize());
}

#[test]
fn a_child_under_seven_is_not_eligible() {
    let mut iv = open("child_participation.toml");
    consent(&mut iv);
    say(&mut iv, "province", "11");
    say(&mut iv, "commune", "03160");
    say(&mut iv, "listed", "");
    say(&mut iv, "age", "6");
    say(&mut iv, "too_young", "");
    assert_eq!(iv.cursor(), &Cursor::End);
    assert_eq!(get(&iv, "outcome"), "not_eligible");
    assert!(iv.review().can_finalize());
}

/// The guardian's consent and the child's assent, with the notes before them.
fn consent(iv: &mut Interview) {
    for (q, a) in [
        ("guardian_info", ""),
        ("guardian_consent", "yes"),
        ("child_info", ""),
        ("child_assent", "yes"),
    ] {
        say(iv, q, a);
    }
}

fn consent_and_profile(iv: &mut Interview, age: &str) {
    consent(iv);
    for (q, a) in [
        ("province", "15"),
        ("commune", "02752"),
        ("listed", "120"),
        ("chosen", "6"),
        ("age", age),
        ("birth_year", ""),
        ("sex", "girl"),
        ("in_school", "yes"),
        ("grade", "6"),
        ("ethnicity", "thai"),
        ("lives_with", "mother grandparents"),
        ("heard_intro", ""),
        ("asked_home", "no"),
        ("asked_school", "yes"),
        ("asked_commune", "dont_know"),
        ("asked_org", "no"),
        ("taken_into_account", "a_little"),
        ("comfort_speaking", "4"),
        ("knows_right", "yes"),
        ("learned_where", "school media"),
        ("quiz_intro", ""),
        ("tf_permission", "false"),
        ("tf_every_child", "true"),
        ("tf_punish", "dont_know"),
    ] {
        say(iv, q, a);
    }
}

fn closing(iv: &mut Interview) {
    for (q, a) in [
        ("knows_help", "yes"),
        ("knows_111", "no"),
        ("referral", "no"),
        ("message_to_adults", "Cho chúng em sân chơi"),
        ("thanks", ""),
    ] {
        say(iv, q, a);
    }
}

#[test]
fn a_twelve_year_old_answers_every_section_and_the_indicators_compute() {
    let mut iv = open("child_participation.toml");
    consent_and_profile(&mut iv, "12");
    let act = iv.current().cloned();
    // "none" cannot be combined with an activity.
    if let Some(Item::Question { node, path }) = &act {
        assert!(iv.answer(*node, path, "club none").is_err());
    }
    say(&mut iv, "activities", "club pioneers");
    say(&mut iv, "how_often", "monthly");
    closing(&mut iv);
    assert_eq!(iv.cursor(), &Cursor::End);
    let r = iv.review();
    assert!(r.can_finalize(), "{:?}", r.problems);
    assert_eq!(get(&iv, "ind_consulted"), "1");
    assert_eq!(get(&iv, "ind_aware"), "1");
    assert_eq!(get(&iv, "ind_takes_part"), "1");
    assert_eq!(get(&iv, "quiz_score"), "2");
    assert_eq!(get(&iv, "outcome"), "complete");
}

#[test]
fn a_nine_year_old_skips_taking_part() {
    let mut iv = open("child_participation.toml");
    consent_and_profile(&mut iv, "9");
    closing(&mut iv);
    assert!(iv.review().can_finalize());
    assert_eq!(get(&iv, "ind_takes_part"), "", "not applicable under 11");
    assert_eq!(get(&iv, "ind_consulted"), "1");
}

#[test]
fn referral_shows_the_hotline_steps() {
    let mut iv = open("child_participation.toml");
    consent_and_profile(&mut iv, "8");
    say(&mut iv, "knows_help", "no");
    say(&mut iv, "knows_111", "no");
    say(&mut iv, "referral", "yes");
    let Some(Item::Question { node, path }) = iv.current().cloned() else {
        panic!()
    };
    assert_eq!(iv.form().node(node).name, "referral_steps");
    assert!(iv.label(node, &path).contains("111"));
}

#[test]
fn commune_checklist_with_forums() {
    let mut iv = open("commune_child_friendly.toml");
    for (q, a) in [
        ("province", "11"),
        ("commune", "03199"),
        ("respondent_role", "culture_social"),
        ("assessed_on", "20/11/2026"),
        ("children_under16", "800"),
        ("children_7plus", "500"),
    ] {
        say(&mut iv, q, a);
    }
    let Some(Item::Question { node, path }) = iv.current().cloned() else {
        panic!()
    };
    assert_eq!(
        iv.answer(node, &path, "501"),
        Err("Không thể lớn hơn số trẻ em từ 7 tuổi (500).".into())
    );
    say(&mut iv, "children_consulted", "163");
    say(&mut iv, "consulted_note", "");
    say(&mut iv, "meets_standard", "yes");
    assert_eq!(get(&iv, "consulted_pct"), "32.6");
    for (q, a) in [
        ("has_protection_officer", "yes"),
        ("has_children_council", "yes"),
        ("has_play_space", "no"),
        ("birth_registration_pct", "97,5"),
        ("self_assessment", "6"),
    ] {
        say(&mut iv, q, a);
    }
    for (i, kids) in ["40", "25"].iter().enumerate() {
        assert!(iv.add_repeat(), "at {:?}", iv.cursor());
        let Some(Item::Question { node, path }) = iv.current().cloned() else {
            panic!()
        };
        assert_eq!(
            iv.label(node, &path),
            format!("Ngày tổ chức diễn đàn số {}", i + 1)
        );
        say(&mut iv, "forum_date", "2026-06-01");
        say(&mut iv, "forum_topic", "safety");
        say(&mut iv, "forum_children", kids);
        say(&mut iv, "forum_girls", "12");
        say(&mut iv, "forum_followed_up", "partly");
    }
    iv.advance().unwrap(); // no more forums
    let Some(Item::Question { node, path }) = iv.current().cloned() else {
        panic!()
    };
    assert_eq!(
        iv.label(node, &path),
        "Đã ghi 2 diễn đàn với tổng cộng 65 lượt trẻ em tham dự."
    );
    assert!(iv.review().can_finalize());
}

#[test]
fn aware_means_the_neutral_question_and_two_of_three_statements() {
    let mut iv = open("child_participation.toml");
    let set = |iv: &mut Interview, name: &str, v: &str| {
        let node = iv.form().by_name[name];
        iv.answer(node, &[], v)
            .unwrap_or_else(|e| panic!("{name}={v}: {e}"));
    };
    for (q, v) in [
        ("guardian_consent", "yes"),
        ("child_assent", "yes"),
        ("province", "11"),
        ("commune", "03160"),
        ("listed", ""),
        ("age", "12"),
        ("knows_right", "yes"),
        ("tf_permission", "true"),
        ("tf_every_child", "true"),
        ("tf_punish", "false"),
    ] {
        set(&mut iv, q, v);
    }
    assert_eq!(get(&iv, "quiz_score"), "1");
    assert_eq!(
        get(&iv, "ind_aware"),
        "0",
        "a yes to the first question is not enough"
    );
    set(&mut iv, "tf_punish", "true");
    assert_eq!(
        get(&iv, "ind_aware"),
        "1",
        "2 of 3 right, rights statement read as true"
    );
    set(&mut iv, "knows_right", "declined");
    assert_eq!(get(&iv, "ind_aware"), "0");
    // Every child question offers "rather not answer".
    let f = iv.form();
    for name in [
        "in_school",
        "asked_home",
        "asked_school",
        "knows_right",
        "tf_punish",
        "activities",
        "knows_help",
        "knows_111",
        "comfort_speaking",
    ] {
        let list = f.list_of(f.by_name[name]).unwrap();
        assert!(list.find("declined").is_some(), "{name} cannot be declined");
    }
}

#[test]
fn a_birth_year_that_does_not_fit_the_age_is_pointed_out() {
    let mut iv = open("child_participation.toml");
    consent(&mut iv);
    for (q, a) in [
        ("province", "11"),
        ("commune", "03160"),
        ("listed", ""),
        ("age", "9"),
    ] {
        say(&mut iv, q, a);
    }
    // Born 2019 (7 by the year): "9" may be the traditional age (tuổi mụ).
    say(&mut iv, "birth_year", "2019");
    let Some(Item::Question { node, path }) = iv.current().cloned() else {
        panic!()
    };
    assert_eq!(iv.form().node(node).name, "age_check");
    // The explanation is the surveyor's; the child hears a plain question.
    let said = iv.guidance(node, &path).unwrap_or_default();
    assert!(said.contains("tuổi mụ") && said.contains("(9)"), "{said}");
    assert!(!iv.label(node, &path).contains("tuổi mụ"));
    // A year that fits says nothing.
    let node = iv.form().by_name["birth_year"];
    iv.answer(node, &[], "2017").unwrap();
    assert!(
        !iv.items()
            .iter()
            .any(|i| iv.form().node(i.node()).name == "age_check")
    );
}

/// A downloaded binary alone in an empty folder, with an empty environment (no HOME, no
/// forms folder): `check` alone checks the forms built into it.
#[test]
fn check_alone_checks_the_built_in_forms_from_an_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_langnghe"))
        .arg("check")
        .env_clear()
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in ["child_participation", "commune_child_friendly"] {
        assert!(
            text.contains(&format!("(built in) {id}: ok")),
            "{id} not checked: {text}"
        );
        assert!(
            text.contains(&format!("(built in) {id}.indicators.toml: ok")),
            "{text}"
        );
    }
}
