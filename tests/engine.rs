//! The interview engine, driven as a surveyor would: answers in, visible items and verdicts out.

use chrono::{DateTime, FixedOffset, TimeZone};
use langnghe::expr::{NodeId, Value};
use langnghe::form::{Form, build};
use langnghe::interview::{Cursor, Interview, Item, Paradata, Problem};
use std::sync::Arc;

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .unwrap()
}

fn form(survey: &str, choices: &str) -> Arc<Form> {
    let src =
        format!("[settings]\nid = \"t\"\nlanguages = [\"vi\", \"en\"]\n\n{survey}\n{choices}");
    Arc::new(build("t.toml", &src).unwrap_or_else(|e| panic!("{e}\n---\n{src}")))
}

/// `[[survey]]` rows from `type name [key=value…]` shorthand lines, to keep tests short.
fn rows(spec: &str) -> String {
    let mut out = String::new();
    for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (head, rest) = line.split_once(" | ").unwrap_or((line, ""));
        let mut words = head.split_whitespace();
        let ty = words.next().unwrap();
        let ty = if ty.starts_with("select") || ty == "rank" {
            format!("{ty} {}", words.next().unwrap())
        } else {
            ty.to_string()
        };
        out.push_str(&format!("[[survey]]\ntype = \"{ty}\"\n"));
        if let Some(name) = words.next() {
            out.push_str(&format!("name = \"{name}\"\n"));
            if !ty.starts_with("end") && ty != "calculate" && !rest.contains("label =") {
                out.push_str(&format!(
                    "label = {{ vi = \"{name} vi\", en = \"{name} en\" }}\n"
                ));
            }
        }
        for kv in rest.split(" ; ").filter(|s| !s.is_empty()) {
            out.push_str(kv);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

fn choices(list: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("[[choices.{list}]]\nname = \"{n}\"\nlabel = {{ vi = \"{n} vi\", en = \"{n} en\" }}\n"))
        .collect()
}

fn id(iv: &Interview, name: &str) -> NodeId {
    iv.form().by_name[name]
}

fn names(iv: &Interview) -> Vec<String> {
    iv.items()
        .iter()
        .map(|i| match i {
            Item::Question { node, path } => iv.key(*node, path),
            Item::AddRepeat { repeat, path } => {
                format!("+{}{:?}", iv.form().node(*repeat).name, path)
            }
        })
        .collect()
}

fn ans(iv: &mut Interview, name: &str, raw: &str) {
    let n = id(iv, name);
    iv.answer(n, &[], raw)
        .unwrap_or_else(|e| panic!("{name}={raw}: {e}"));
}

fn val(iv: &Interview, name: &str) -> String {
    iv.value(id(iv, name), &[]).to_str().into_owned()
}

#[test]
fn relevance_hides_and_excludes_but_keeps_answers() {
    let f = form(
        &rows(
            "integer age | required = true
             select_one sex sex | relevant = \"${age} >= 7\"
             begin_group older | relevant = \"${age} >= 11\"
             text club
             end_group
             text end",
        ),
        &choices("sex", &["f", "m"]),
    );
    let mut iv = Interview::new(f, now());
    assert_eq!(names(&iv), ["age", "end"]);
    ans(&mut iv, "age", "12");
    assert_eq!(names(&iv), ["age", "sex", "club", "end"]);
    ans(&mut iv, "sex", "f");
    ans(&mut iv, "club", "bóng đá");
    ans(&mut iv, "age", "9");
    assert_eq!(names(&iv), ["age", "sex", "end"]);
    // Irrelevant answer kept (so flipping back restores it) but not in the result.
    assert_eq!(val(&iv, "club"), "bóng đá");
    assert!(!iv.answers().iter().any(|(k, _)| k == "club"));
    assert!(iv.draft_answers().iter().any(|(k, _)| k == "club"));
    ans(&mut iv, "age", "5");
    assert_eq!(names(&iv), ["age", "end"]);
    assert_eq!(iv.answers(), vec![("age".to_string(), "5".to_string())]);
    ans(&mut iv, "age", "15");
    assert!(iv.answers().contains(&("club".into(), "bóng đá".into())));
}

#[test]
fn irrelevant_answers_read_as_blank_in_expressions() {
    let f = form(
        &rows(
            "integer a
             integer b | relevant = \"${a} > 0\"
             calculate total | calculation = \"coalesce(${b}, 'none')\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    ans(&mut iv, "a", "1");
    ans(&mut iv, "b", "7");
    assert_eq!(val(&iv, "total"), "7");
    ans(&mut iv, "a", "0");
    assert_eq!(val(&iv, "total"), "none");
}

#[test]
fn calculations_chain_and_update() {
    let f = form(
        &rows(
            "integer x
             calculate double | calculation = \"${x} * 2\"
             calculate plus | calculation = \"${double} + 1\"
             note show | relevant = \"${plus} > 10\"
             calculate first_x | calculation = \"once(${x})\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    assert_eq!(val(&iv, "double"), "NaN");
    ans(&mut iv, "x", "3");
    assert_eq!(
        (val(&iv, "double").as_str(), val(&iv, "plus").as_str()),
        ("6", "7")
    );
    assert_eq!(names(&iv), ["x"]);
    ans(&mut iv, "x", "5");
    assert_eq!(val(&iv, "plus"), "11");
    assert_eq!(names(&iv), ["x", "show"]);
    assert_eq!(val(&iv, "first_x"), "3", "once() keeps its first value");
}

#[test]
fn types_are_checked_and_normalised() {
    let f = form(
        &rows(
            "integer n
             decimal d
             date dob
             time t
             select_multiple places m
             rank places r
             range scale | parameters = { start = 1, end = 5, step = 1 }
             acknowledge ok",
        ),
        &choices("places", &["home", "school", "club"]),
    );
    let mut iv = Interview::new(f, now());
    iv.set_language("en");
    let n = id(&iv, "n");
    assert_eq!(
        iv.answer(n, &[], "abc"),
        Err("Enter a whole number, like 12.".into())
    );
    assert_eq!(
        iv.answer(n, &[], "1.5"),
        Err("Enter a whole number, like 12.".into())
    );
    ans(&mut iv, "n", " 42 ");
    assert_eq!(val(&iv, "n"), "42");
    ans(&mut iv, "d", "2,5");
    assert_eq!(val(&iv, "d"), "2.5");
    ans(&mut iv, "dob", "31/05/2015");
    assert_eq!(val(&iv, "dob"), "2015-05-31");
    assert!(iv.answer(id(&iv, "dob"), &[], "31/02/2015").is_err());
    ans(&mut iv, "t", "14:30");
    assert_eq!(val(&iv, "t"), "14:30:00");
    ans(&mut iv, "m", "school home school");
    assert_eq!(val(&iv, "m"), "school home");
    assert_eq!(
        iv.answer(id(&iv, "m"), &[], "home park"),
        Err("No such choice `park`".into())
    );
    assert_eq!(
        iv.answer(id(&iv, "r"), &[], "home school"),
        Err("Rank every choice.".into())
    );
    assert_eq!(
        iv.answer(id(&iv, "r"), &[], "home home club"),
        Err("Choice given twice: `home`".into())
    );
    ans(&mut iv, "r", "club home school");
    assert_eq!(
        iv.answer(id(&iv, "scale"), &[], "6"),
        Err("Pick a number from 1 – 5.".into())
    );
    assert_eq!(
        iv.answer(id(&iv, "scale"), &[], "2.5"),
        Err("Pick in steps of 1.".into())
    );
    ans(&mut iv, "scale", "4");
    ans(&mut iv, "ok", "OK");
    iv.set_language("vi");
    assert_eq!(
        iv.answer(n, &[], "abc"),
        Err("Hãy nhập một số nguyên, ví dụ 12.".into())
    );
}

#[test]
fn constraints_use_dot_skip_blanks_and_speak_the_language() {
    let f = form(
        &rows(
            "integer age | constraint = \". >= 7 and . <= 17\" ; constraint_message = { vi = \"Từ 7 đến 17 tuổi\", en = \"Between 7 and 17\" }
             integer siblings | constraint = \". < ${age}\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    let age = id(&iv, "age");
    assert_eq!(iv.answer(age, &[], "5"), Err("Từ 7 đến 17 tuổi".into()));
    iv.set_language("en");
    assert_eq!(iv.answer(age, &[], "18"), Err("Between 7 and 17".into()));
    assert_eq!(val(&iv, "age"), "", "a refused answer changes nothing");
    assert_eq!(
        iv.answer(age, &[], ""),
        Ok(()),
        "blank is not checked against the constraint"
    );
    ans(&mut iv, "age", "12");
    ans(&mut iv, "siblings", "3");
    // A later change can make an earlier answer invalid; the review catches it.
    ans(&mut iv, "age", "8");
    assert_eq!(val(&iv, "siblings"), "3");
    ans(&mut iv, "age", "7");
    ans(&mut iv, "siblings", "3");
    ans(&mut iv, "age", "6".replace('6', "7").as_str());
    let sib = id(&iv, "siblings");
    assert!(iv.answer(sib, &[], "9").is_err());
    ans(&mut iv, "siblings", "6");
    let mut age_only = iv.clone();
    age_only.answer(age, &[], "").unwrap();
    let r = age_only.review();
    assert!(!r.can_finalize());
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
}

#[test]
fn navigation_required_prev_jump_end_and_paradata() {
    let f = form(
        &rows(
            "integer a | required = true ; required_message = { vi = \"Cần trả lời\", en = \"Needed\" }
             text b
             note n",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    let a = Item::Question {
        node: id(&iv, "a"),
        path: vec![],
    };
    let b = Item::Question {
        node: id(&iv, "b"),
        path: vec![],
    };
    assert_eq!(iv.take_events(), vec![Paradata::Enter(a.clone())]);
    assert_eq!(iv.advance(), Err("Cần trả lời".into()));
    assert_eq!(iv.current(), Some(&a));
    ans(&mut iv, "a", "1");
    iv.advance().unwrap();
    assert_eq!(iv.current(), Some(&b));
    assert_eq!(
        iv.take_events(),
        vec![Paradata::Leave(a.clone()), Paradata::Enter(b.clone())]
    );
    iv.advance().unwrap(); // b is optional
    iv.advance().unwrap(); // past the note
    assert_eq!(iv.cursor(), &Cursor::End);
    iv.back();
    assert_eq!(iv.current().map(Item::node), Some(id(&iv, "n")));
    assert!(iv.jump(Cursor::At(a.clone())));
    assert_eq!(iv.current(), Some(&a));
    assert!(!iv.jump(Cursor::At(Item::Question {
        node: NodeId::new(999 % 4),
        path: vec![7]
    })));
    assert!(iv.review().can_finalize());
}

#[test]
fn required_can_be_a_condition() {
    let f = form(&rows("integer a\ntext why | required = \"${a} > 5\""), "");
    let mut iv = Interview::new(f, now());
    assert!(iv.review().can_finalize());
    ans(&mut iv, "a", "9");
    let r = iv.review();
    assert_eq!(r.missing().count(), 1);
    ans(&mut iv, "why", "vì");
    assert!(iv.review().can_finalize());
}

#[test]
fn cursor_moves_on_when_its_question_becomes_irrelevant() {
    let f = form(
        &rows("integer a\ntext b | relevant = \"${a} = 1\"\ntext c"),
        "",
    );
    let mut iv = Interview::new(f, now());
    ans(&mut iv, "a", "1");
    iv.advance().unwrap();
    assert_eq!(iv.current().map(Item::node), Some(id(&iv, "b")));
    ans(&mut iv, "a", "2");
    iv.advance().unwrap();
    assert_eq!(iv.current().map(Item::node), Some(id(&iv, "c")));
}

#[test]
fn open_repeat_add_refer_within_instance_and_aggregate() {
    let f = form(
        &rows(
            "begin_repeat child
             integer child_age
             text school | relevant = \"${child_age} >= 6\"
             calculate idx | calculation = \"position(..)\"
             end_repeat
             calculate n | calculation = \"count(${child})\"
             calculate total | calculation = \"sum(${child_age})\"
             calculate oldest | calculation = \"max(${child_age})\"
             note done",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    let rep = id(&iv, "child");
    let age = id(&iv, "child_age");
    assert_eq!(names(&iv), ["+child[]", "done"]);
    assert_eq!(val(&iv, "n"), "0");
    assert!(iv.add_repeat());
    assert_eq!(
        iv.current(),
        Some(&Item::Question {
            node: age,
            path: vec![0]
        })
    );
    iv.answer(age, &[0], "4").unwrap();
    iv.jump(Cursor::At(Item::AddRepeat {
        repeat: rep,
        path: vec![],
    }));
    assert!(iv.add_repeat());
    iv.answer(age, &[1], "9").unwrap();
    assert_eq!(
        names(&iv),
        [
            "child[1]/child_age",
            "child[2]/child_age",
            "child[2]/school",
            "+child[]",
            "done"
        ]
    );
    assert_eq!(
        (
            val(&iv, "n").as_str(),
            val(&iv, "total").as_str(),
            val(&iv, "oldest").as_str()
        ),
        ("2", "13", "9")
    );
    assert_eq!(iv.value(id(&iv, "idx"), &[1]), Value::Num(2.0));
    assert!(iv.remove_repeat(rep, &[0]));
    assert_eq!(
        names(&iv),
        ["child[1]/child_age", "child[1]/school", "+child[]", "done"]
    );
    assert_eq!(
        (val(&iv, "n").as_str(), val(&iv, "total").as_str()),
        ("1", "9")
    );
    assert_eq!(iv.value(id(&iv, "idx"), &[0]), Value::Num(1.0));
    assert!(
        iv.answers()
            .contains(&("child[1]/child_age".into(), "9".into()))
    );
}

#[test]
fn counted_repeat_grows_and_shrinks_with_its_count() {
    let f = form(
        &rows(
            "integer k
             begin_repeat member | repeat_count = \"${k}\"
             integer m_age
             end_repeat
             calculate total | calculation = \"sum(${m_age})\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    let m = id(&iv, "m_age");
    assert_eq!(names(&iv), ["k"]);
    ans(&mut iv, "k", "3");
    assert_eq!(
        names(&iv),
        ["k", "member[1]/m_age", "member[2]/m_age", "member[3]/m_age"]
    );
    for i in 0..3 {
        iv.answer(m, &[i], &format!("{}", 10 + i)).unwrap();
    }
    assert_eq!(val(&iv, "total"), "33");
    ans(&mut iv, "k", "2");
    assert_eq!(val(&iv, "total"), "21");
    ans(&mut iv, "k", "0");
    assert_eq!(val(&iv, "total"), "0");
    assert_eq!(names(&iv), ["k"]);
}

#[test]
fn nested_repeats_resolve_to_their_own_instances() {
    let f = form(
        &rows(
            "begin_repeat hh
             integer size
             begin_repeat person | repeat_count = \"${size}\"
             integer p_age | constraint = \". < 120\"
             calculate p_pos | calculation = \"concat(position(..), '/', ${size})\"
             end_repeat
             calculate hh_total | calculation = \"sum(${p_age})\"
             end_repeat",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    let rep = id(&iv, "hh");
    iv.jump(Cursor::At(Item::AddRepeat {
        repeat: rep,
        path: vec![],
    }));
    iv.add_repeat();
    iv.jump(Cursor::At(Item::AddRepeat {
        repeat: rep,
        path: vec![],
    }));
    iv.add_repeat();
    let size = id(&iv, "size");
    let page = id(&iv, "p_age");
    iv.answer(size, &[0], "2").unwrap();
    iv.answer(size, &[1], "1").unwrap();
    iv.answer(page, &[0, 0], "30").unwrap();
    iv.answer(page, &[0, 1], "8").unwrap();
    iv.answer(page, &[1, 0], "50").unwrap();
    assert_eq!(iv.value(id(&iv, "hh_total"), &[0]), Value::Num(38.0));
    assert_eq!(iv.value(id(&iv, "hh_total"), &[1]), Value::Num(50.0));
    assert_eq!(iv.value(id(&iv, "p_pos"), &[0, 1]).to_str(), "2/2");
    assert!(
        iv.answers()
            .contains(&("hh[1]/person[2]/p_age".into(), "8".into()))
    );
}

#[test]
fn cascading_select_offers_only_matching_choices() {
    let choices = "[[choices.district]]\nname = \"d1\"\nlabel = { vi = \"Huyện 1\", en = \"District 1\" }\n\
        [[choices.district]]\nname = \"d2\"\nlabel = { vi = \"Huyện 2\", en = \"District 2\" }\n\
        [[choices.commune]]\nname = \"c1\"\ndistrict = \"d1\"\nlabel = { vi = \"Xã 1\", en = \"C1\" }\n\
        [[choices.commune]]\nname = \"c2\"\ndistrict = \"d1\"\nlabel = { vi = \"Xã 2\", en = \"C2\" }\n\
        [[choices.commune]]\nname = \"c3\"\ndistrict = \"d2\"\nlabel = { vi = \"Xã 3\", en = \"C3\" }\n";
    let f = form(
        &rows(
            "select_one district district
             select_one commune commune | choice_filter = \"district = ${district}\"
             calculate commune_label | calculation = \"jr:choice-name(${commune}, '${commune}')\"",
        ),
        choices,
    );
    let mut iv = Interview::new(f, now());
    let c = id(&iv, "commune");
    assert!(iv.choices(c, &[]).is_empty());
    ans(&mut iv, "district", "d1");
    let offered: Vec<&str> = iv.choices(c, &[]).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(offered, ["c1", "c2"]);
    assert!(
        iv.answer(c, &[], "c3").is_err(),
        "c3 is in another district"
    );
    ans(&mut iv, "commune", "c2");
    assert_eq!(val(&iv, "commune_label"), "Xã 2");
    iv.set_language("en");
    iv.recompute_all();
    ans(&mut iv, "district", "d2");
    let offered: Vec<&str> = iv.choices(c, &[]).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(offered, ["c3"]);
}

#[test]
fn labels_fill_in_placeholders() {
    let f = form(
        &rows(
            "integer age\nnote thanks | label = { vi = \"Cảm ơn em, ${age} tuổi\", en = \"Thanks, age ${age}\" }",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    ans(&mut iv, "age", "9");
    let t = id(&iv, "thanks");
    assert_eq!(iv.label(t, &[]), "Cảm ơn em, 9 tuổi");
    iv.set_language("en");
    assert_eq!(iv.label(t, &[]), "Thanks, age 9");
}

#[test]
fn keys_round_trip_and_restore_rebuilds_state() {
    let f = form(
        &rows(
            "integer a
             begin_repeat r
             text t
             end_repeat
             calculate c | calculation = \"concat(${a}, count(${r}))\"",
        ),
        "",
    );
    let mut iv = Interview::new(f.clone(), now());
    ans(&mut iv, "a", "4");
    let r = id(&iv, "r");
    for text in ["x", "y"] {
        iv.jump(Cursor::At(Item::AddRepeat {
            repeat: r,
            path: vec![],
        }));
        iv.add_repeat();
        let Some(Item::Question { node, path }) = iv.current().cloned() else {
            panic!()
        };
        iv.answer(node, &path, text).unwrap();
    }
    let saved = iv.draft_answers();
    assert_eq!(
        saved
            .iter()
            .find(|(k, _)| k == "r[2]/t")
            .map(|(_, v)| v.as_str()),
        Some("y")
    );
    let (back, dropped) = Interview::restore(f, now(), &saved);
    assert!(dropped.is_empty());
    assert_eq!(back.answers(), iv.answers());
    assert_eq!(val(&back, "c"), "42");
    let extra = vec![
        ("nope".to_string(), "1".to_string()),
        ("a".to_string(), "x".to_string()),
    ];
    let (_, dropped) = Interview::restore(back.form().clone(), now(), &extra);
    assert_eq!(dropped, ["nope", "a"]);
}

#[test]
fn read_only_refuses_answers() {
    let f = form(&rows("integer a | read_only = true ; default = \"3\""), "");
    let mut iv = Interview::new(f, now());
    assert_eq!(val(&iv, "a"), "3");
    assert!(iv.answer(id(&iv, "a"), &[], "4").is_err());
}

#[test]
fn today_comes_from_the_clock_handed_in() {
    let f = form(
        &rows("date dob\ncalculate age | calculation = \"int((today() - ${dob}) div 365.25)\""),
        "",
    );
    let mut iv = Interview::new(f, now());
    ans(&mut iv, "dob", "2015-12-01");
    assert_eq!(val(&iv, "age"), "10");
    iv.set_now(now() + chrono::Duration::days(3));
    iv.recompute_all();
    assert_eq!(val(&iv, "age"), "11");
}

#[test]
fn consent_and_eligibility_states() {
    use langnghe::interview::Consent;
    let f = {
        let src = format!(
            "[settings]\nid = \"c\"\nlanguages = [\"vi\", \"en\"]\nnot_eligible = \"${{age}} != '' and ${{age}} < 7\"\n\n{}\n{}",
            rows(
                "select_one yn guardian | consent = true
                 select_one yn child | consent = true ; relevant = \"${guardian} = 'yes'\"
                 integer age"
            ),
            choices("yn", &["yes", "no"])
        );
        Arc::new(build("c.toml", &src).unwrap())
    };
    let mut iv = Interview::new(f, now());
    assert_eq!(iv.consent(), Consent::Pending);
    assert!(
        iv.advance().is_err(),
        "a consent question is required even when the form forgets to say so"
    );
    assert_eq!(iv.open_consent(), Some(id(&iv, "guardian")));
    ans(&mut iv, "guardian", "yes");
    assert_eq!(
        (iv.consent(), iv.open_consent()),
        (Consent::Pending, Some(id(&iv, "child")))
    );
    ans(&mut iv, "child", "no");
    assert_eq!(iv.consent(), Consent::Declined);
    ans(&mut iv, "child", "yes");
    assert_eq!((iv.consent(), iv.open_consent()), (Consent::Given, None));
    assert!(!iv.not_eligible());
    ans(&mut iv, "age", "6");
    assert!(iv.not_eligible());
    ans(&mut iv, "age", "7");
    assert!(!iv.not_eligible());
}

#[test]
fn consent_flag_only_fits_a_yes_question() {
    let src = "[settings]\nid = \"c\"\nlanguages = [\"vi\"]\n\n[[survey]]\ntype = \"text\"\nname = \"a\"\nlabel = \"A\"\nconsent = true\n";
    let err = build("c.toml", src).unwrap_err().to_string();
    assert_eq!(
        err,
        "c.toml:9:11: `consent = true` goes on a select_one question whose list has a `yes` choice"
    );
}

#[test]
fn answer_keys_round_trip_and_refuse_what_holds_no_value() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"),
    )
    .unwrap();
    let form = langnghe::form::build("commune", &src).unwrap();
    for (i, n) in form.nodes.iter().enumerate() {
        let node = langnghe::expr::NodeId::new(i);
        let depth = n.chain.iter().filter(|r| **r != node).count();
        let path: Vec<u32> = (0..depth as u32).map(|d| d + 2).collect();
        let text = form.key_text(node, &path);
        let holds_value = !matches!(
            n.kind,
            langnghe::form::Kind::Root(_)
                | langnghe::form::Kind::Group
                | langnghe::form::Kind::Repeat(_)
        );
        match form.parse_key(&text) {
            Some(k) => {
                assert!(holds_value, "{text} names a group or repeat");
                assert_eq!(k, langnghe::form::AnswerKey { node, path });
            }
            None => assert!(!holds_value, "{text} did not read back"),
        }
    }
    assert!(
        form.parse_key("forum[0]/forum_date").is_none(),
        "instances count from 1"
    );
    assert!(form.parse_key("no_such_question").is_none());
}

#[test]
fn progress_counts_what_review_counts() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/child_participation.toml"),
    )
    .unwrap();
    let form = std::sync::Arc::new(langnghe::form::build("child", &src).unwrap());
    let mut rng = langnghe::simulate::Rng::new(11);
    let now = chrono::Local::now().fixed_offset();
    let mut seen = 0;
    for _ in 0..40 {
        if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, now) {
            let r = iv.review();
            assert_eq!(iv.progress(), (r.answered, r.questions));
            seen += 1;
        }
    }
    assert!(seen > 0);
}

#[test]
fn held_text_is_kept_listed_in_review_never_an_answer_and_released_by_answering() {
    let f = form(&rows("integer n | constraint = \". <= 20\"\ntext t"), "");
    let mut iv = Interview::new(f.clone(), now());
    let n = id(&iv, "n");
    ans(&mut iv, "n", "3");
    iv.hold(n, &[], "25");
    assert_eq!(iv.held(n, &[]), Some("25"));
    assert_eq!(val(&iv, "n"), "3", "held text is not the answer");
    assert_eq!(iv.progress().0, 1);
    let review = iv.review();
    assert!(!review.can_finalize());
    assert!(
        matches!(&review.problems[0].1, Problem::Invalid(m) if m.contains("not accepted") || m.contains("không hợp lệ")),
        "{:?}",
        review.problems
    );
    assert!(!iv.answers().iter().any(|(_, v)| v == "25"));
    // Saved and restored with the draft.
    let saved = iv.held_texts();
    assert_eq!(saved, [("n".to_string(), "25".to_string())]);
    let (mut back, _) = Interview::restore(f, now(), &iv.draft_answers());
    back.restore_held(&saved);
    assert_eq!(back.held(n, &[]), Some("25"));
    // A valid answer releases it.
    back.answer(n, &[], "12").unwrap();
    assert_eq!(back.held(n, &[]), None);
    assert!(!back.has_held());
}

#[test]
fn progress_counts_what_may_still_apply_so_its_total_never_grows() {
    let f = form(
        &rows(
            "select_one yn q1\ninteger q2 | relevant = \"${q1} = 'yes'\"\ncalculate c | calculation = \"if(${q1} = 'yes', 1, 0)\"\ntext q3 | relevant = \"${c} = 1\"\ntext q4",
        ),
        &choices("yn", &["yes", "no"]),
    );
    let mut iv = Interview::new(f, now());
    assert_eq!(iv.progress(), (0, 4), "q2 and q3 may still apply");
    ans(&mut iv, "q1", "yes");
    assert_eq!(iv.progress(), (1, 4));
    ans(&mut iv, "q1", "no");
    assert_eq!(iv.progress(), (1, 2), "ruled out: the total shrinks");
}

#[test]
fn on_the_child_form_the_total_never_grows_along_random_interviews() {
    use langnghe::simulate::{Rng, random_answer};
    let f = Arc::new(
        langnghe::form::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("forms/child_participation.toml"),
        )
        .unwrap(),
    );
    for seed in 0..40 {
        let mut rng = Rng::new(seed);
        let mut iv = Interview::new(f.clone(), now());
        let mut total = iv.progress().1;
        let mut steps = 0;
        while let Some(item) = iv.current().cloned() {
            steps += 1;
            assert!(steps < 500);
            if let Item::Question { node, path } = &item {
                let kind = iv.form().node(*node).kind.clone();
                if kind.takes_answer()
                    && let Some(raw) = random_answer(&iv, *node, path, &kind, &mut rng, now())
                {
                    // Consent yes, so the walk goes the whole way.
                    let raw = if iv.form().node(*node).consent {
                        "yes".into()
                    } else {
                        raw
                    };
                    let _ = iv.answer(*node, path, &raw);
                }
            }
            let now_total = iv.progress().1;
            assert!(now_total <= total, "seed {seed}: {total} → {now_total}");
            total = now_total;
            if iv.advance().is_err() || iv.not_eligible() {
                break;
            }
        }
    }
}

#[test]
fn a_calculation_on_a_question_fills_it_and_follows_its_inputs() {
    let f = form(
        &rows(
            "integer born
             integer age | calculation = \"2026 - ${born}\"
             text greeting | calculation = \"concat('Xin chào ', ${name})\"
             text name",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    assert_eq!(val(&iv, "age"), "");
    ans(&mut iv, "born", "2015");
    // A number, as the question's type holds it, not the text "11".
    assert_eq!(iv.value(id(&iv, "age"), &[]), Value::Num(11.0));
    // The respondent may correct it; a change to its input computes it again, as in ODK.
    ans(&mut iv, "age", "12");
    assert_eq!(val(&iv, "age"), "12");
    ans(&mut iv, "born", "2016");
    assert_eq!(val(&iv, "age"), "10");
    ans(&mut iv, "name", "Lan");
    assert_eq!(val(&iv, "greeting"), "Xin chào Lan");
    // Still shown: it has a label.
    assert!(names(&iv).contains(&"age".to_string()));
}

#[test]
fn without_label_or_hint_a_computed_question_is_a_hidden_typed_calculation() {
    let f = form(
        "[[survey]]\ntype = \"integer\"\nname = \"n\"\ncalculation = \"1 + 2\"\n\n\
         [[survey]]\ntype = \"note\"\nname = \"show\"\nlabel = { vi = \"${n}\", en = \"${n}\" }\n",
        "",
    );
    let iv = Interview::new(f, now());
    assert_eq!(names(&iv), ["show"]);
    assert_eq!(val(&iv, "n"), "3");
    assert!(iv.answers().contains(&("n".into(), "3".into())));
}

#[test]
fn a_trigger_runs_its_calculation_only_when_its_question_is_answered() {
    let f = form(
        &rows(
            "integer a
             integer b | calculation = \"${a} * 10\" ; trigger = \"${a}\"
             calculate when | calculation = \"concat('a=', ${a})\" ; trigger = \"${a}\"
             integer c",
        ),
        "",
    );
    let mut iv = Interview::new(f.clone(), now());
    // Not at the start, not on its own.
    assert_eq!(val(&iv, "b"), "");
    assert_eq!(val(&iv, "when"), "");
    ans(&mut iv, "a", "2");
    assert_eq!(val(&iv, "b"), "20");
    assert_eq!(val(&iv, "when"), "a=2");
    // The respondent's own answer stays until the trigger fires again.
    ans(&mut iv, "b", "7");
    ans(&mut iv, "c", "1");
    assert_eq!(val(&iv, "b"), "7");
    ans(&mut iv, "a", "3");
    assert_eq!(val(&iv, "b"), "30");
    // Restoring a draft keeps what was set; nothing fires.
    ans(&mut iv, "b", "8");
    let (back, dropped) = Interview::restore(f, now(), &iv.draft_answers());
    assert!(dropped.is_empty());
    assert_eq!(val(&back, "b"), "8");
    assert_eq!(val(&back, "when"), "a=3");
}

#[test]
fn a_trigger_must_name_a_question_the_respondent_answers() {
    let src = format!(
        "[settings]\nid = \"t\"\nlanguages = [\"vi\"]\n\n{}",
        rows(
            "calculate hidden | calculation = \"1\"
             integer b | calculation = \"2\" ; trigger = \"${hidden}\"
             integer c | trigger = \"age\""
        )
    );
    let err = build("t.toml", &src).unwrap_err().to_string();
    assert!(
        err.contains("`${hidden}` is not shown to the respondent"),
        "{err}"
    );
    assert!(err.contains("`trigger` names questions like ${q}"), "{err}");
}

#[test]
fn a_dynamic_default_is_filled_in_when_the_question_is_first_reached() {
    let f = form(
        &rows(
            "text head
             text respondent | default = \"${head}\"
             date visit | default = \"today()\"
             integer plus | default = \"1 + 1\"
             date fixed | default = \"2026-01-02\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    // A date with dashes is a fixed default, there from the start.
    assert_eq!(val(&iv, "fixed"), "2026-01-02");
    assert_eq!(val(&iv, "respondent"), "");
    ans(&mut iv, "head", "Bà Hoa");
    iv.advance().unwrap();
    assert_eq!(val(&iv, "respondent"), "Bà Hoa");
    // Cleared on purpose: not filled in again on coming back.
    let r = id(&iv, "respondent");
    iv.clear(r, &[]);
    iv.back();
    iv.advance().unwrap();
    assert_eq!(val(&iv, "respondent"), "");
    iv.advance().unwrap();
    assert_eq!(val(&iv, "visit"), "2026-11-29");
    iv.advance().unwrap();
    assert_eq!(iv.value(id(&iv, "plus"), &[]), Value::Num(2.0));
}

#[test]
fn last_saved_reads_the_previous_interview_of_the_form() {
    let f = form(
        &rows(
            "text commune | default = \"${last-saved#commune}\"
             note seen | label = { vi = \"Lần trước: ${last-saved#commune}\", en = \"Last: ${last-saved#commune}\" }
             calculate again | calculation = \"concat(${last-saved#commune}, '!')\"",
        ),
        "",
    );
    let mut first = Interview::new(f.clone(), now());
    assert_eq!(val(&first, "commune"), "");
    ans(&mut first, "commune", "Tả Van");
    let mut next = Interview::new(f, now());
    next.set_last_saved(first.answers());
    assert_eq!(val(&next, "commune"), "Tả Van");
    let seen = id(&next, "seen");
    assert_eq!(next.label(seen, &[]), "Lần trước: Tả Van");
    next.recompute_all();
    assert_eq!(val(&next, "again"), "Tả Van!");
}

#[test]
fn indexed_repeat_reads_one_instance_by_number() {
    let f = form(
        &rows(
            "begin_repeat kid
             text kname
             end_repeat
             calculate second | calculation = \"indexed-repeat(${kname}, ${kid}, 2)\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    let kname = id(&iv, "kname");
    for (i, n) in ["An", "Bình", "Chi"].iter().enumerate() {
        iv.add_repeat();
        let _ = i;
        let path = match iv.current() {
            Some(Item::Question { path, .. }) => path.clone(),
            other => panic!("{other:?}"),
        };
        iv.answer(kname, &path, n).unwrap();
        iv.advance().unwrap();
    }
    assert_eq!(val(&iv, "second"), "Bình");
}

#[test]
fn the_same_name_in_different_groups_is_kept_apart_and_a_reference_to_it_is_refused() {
    let f = form(
        &rows(
            "begin_group mother
             text name
             end_group
             begin_group father
             text name
             end_group
             begin_repeat kid
             text name
             end_repeat",
        ),
        "",
    );
    // Each is stored under its path, so the answers do not overwrite each other.
    let mut iv = Interview::new(f.clone(), now());
    let m = f.by_name["mother:name"];
    let d = f.by_name["father:name"];
    iv.answer(m, &[], "Hoa").unwrap();
    iv.answer(d, &[], "Nam").unwrap();
    let answers = iv.answers();
    assert!(
        answers.contains(&("mother:name".into(), "Hoa".into())),
        "{answers:?}"
    );
    assert!(
        answers.contains(&("father:name".into(), "Nam".into())),
        "{answers:?}"
    );
    let (back, dropped) = Interview::restore(f.clone(), now(), &answers);
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(back.value(d, &[]).to_str(), "Nam");
    assert!(!f.by_name.contains_key("name"));
    // `${name}` could mean any of them: refused, as pyxform refuses it.
    let src = format!(
        "[settings]\nid = \"t\"\nlanguages = [\"vi\"]\n\n{}",
        rows(
            "begin_group a
             text x
             end_group
             begin_group b
             text x
             end_group
             note n | label = \"${x}\""
        )
    );
    let err = build("t.toml", &src).unwrap_err().to_string();
    assert!(err.contains("`${x}` in text is ambiguous"), "{err}");
    // Within one group, a name is still unique; a repeat's name in the whole form.
    let src = format!(
        "[settings]\nid = \"t\"\nlanguages = [\"vi\"]\n\n{}",
        rows(
            "begin_group a
             text x
             text x
             end_group
             begin_repeat r
             text y
             end_repeat
             begin_group c
             begin_repeat r
             text z
             end_repeat
             end_group"
        )
    );
    let err = build("t.toml", &src).unwrap_err().to_string();
    assert!(
        err.contains("duplicate name `x` (first used on line"),
        "{err}"
    );
    assert!(
        err.contains("a repeat's name must be unique among the form's repeats"),
        "{err}"
    );
}

#[test]
fn instance_lookups_read_the_forms_own_choice_lists() {
    let extra = "[[choices.item]]\nname = \"rice\"\nlabel = { vi = \"Gạo\", en = \"Rice\" }\nprice = \"20\"\nidx = \"1\"\n\n\
                 [[choices.item]]\nname = \"salt\"\nlabel = { vi = \"Muối\", en = \"Salt\" }\nprice = \"5\"\nidx = \"2\"\n";
    let f = form(
        &rows(
            "integer which
             calculate label | calculation = \"instance('item')/root/item[idx = ${which}]/label\"
             calculate price | calculation = \"instance('item')/root/item[name = 'salt']/price\"
             calculate n | calculation = \"count(instance('item')/root/item[price > 10])\"",
        ),
        extra,
    );
    let mut iv = Interview::new(f, now());
    ans(&mut iv, "which", "2");
    assert_eq!(val(&iv, "label"), "Muối");
    iv.set_language("en");
    ans(&mut iv, "which", "1");
    assert_eq!(val(&iv, "label"), "Rice");
    assert_eq!(val(&iv, "price"), "5");
    assert_eq!(val(&iv, "n"), "1");
    // A list or column the form does not have is caught when the form is checked.
    let src = format!(
        "[settings]\nid = \"t\"\nlanguages = [\"vi\"]\n\n{}\n{extra}",
        rows(
            "calculate a | calculation = \"instance('nope')/root/item/label\"
             calculate b | calculation = \"instance('item')/root/item[colour = 'red']/weight\"
             calculate c | calculation = \"/data/a\""
        )
    );
    let err = build("t.toml", &src).unwrap_err().to_string();
    assert!(
        err.contains("unknown choice list `nope` in instance('nope')"),
        "{err}"
    );
    assert!(
        err.contains("choice list `item` has no column `colour`"),
        "{err}"
    );
    assert!(
        err.contains("choice list `item` has no column `weight`"),
        "{err}"
    );
    assert!(
        err.contains("XPath paths like /data/q are not supported"),
        "{err}"
    );
}

#[test]
fn questions_that_trigger_each_other_do_not_hang_the_interview() {
    let f = form(
        &rows(
            "integer a | calculation = \"${b} + 1\" ; trigger = \"${b}\"
             integer b | calculation = \"${a} + 1\" ; trigger = \"${a}\"",
        ),
        "",
    );
    let mut iv = Interview::new(f, now());
    ans(&mut iv, "a", "1");
    // Each answer sets the other off a bounded number of times, then stops.
    let (a, b) = (val(&iv, "a"), val(&iv, "b"));
    assert!(!a.is_empty() && !b.is_empty(), "{a} {b}");
    assert!(a.parse::<i64>().unwrap() < 20, "{a}");
}
