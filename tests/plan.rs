//! `langnghe hub plan`: a frame of communes in, a reproducible PPS sample plan out.

mod common;
use common::Finish;

use common::langnghe;

fn frame(dir: &std::path::Path) -> std::path::PathBuf {
    let mut csv = String::from("province,commune,name,children\n");
    for (prov, n) in [("Lào Cai", 90u32), ("Điện Biên", 70)] {
        for i in 0..n {
            // Unequal sizes, one commune far larger than the rest (taken for certain).
            let size = if i == 5 { 90_000 } else { 100 + (i * 37) % 900 };
            csv.push_str(&format!("{prov},{i:05},\"Xã {i}, huyện A\",{size}\n"));
        }
    }
    let path = dir.join("frame.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn plan(args: &[&str]) -> std::process::Output {
    langnghe().args(["hub", "plan"]).args(args).finish()
}

#[test]
fn a_plan_is_sized_for_the_goal_drawn_by_pps_and_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let f = frame(tmp.path());
    let out = |name: &str| tmp.path().join(name);
    let args = |o: &std::path::Path, seed: &str| {
        let o = plan(&[
            "--frame",
            f.to_str().unwrap(),
            "--seed",
            seed,
            "--out",
            o.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let said = args(&out("a.csv"), "7");
    // ±5 points, p = 0.5, deff 2, 80% response, 20 per commune: 962 children, 49 communes.
    assert!(said.contains("Lào Cai: 90 communes in the frame"), "{said}");
    assert!(
        said.contains("49 selected, 980 children to select"),
        "{said}"
    );
    args(&out("b.csv"), "7");
    args(&out("c.csv"), "8");
    let read = |n: &str| std::fs::read_to_string(out(n)).unwrap();
    assert_eq!(read("a.csv"), read("b.csv"), "the same seed, the same plan");
    assert_ne!(read("a.csv"), read("c.csv"), "another seed, another draw");
    let drawn = read("a.csv");
    for prov in ["Lào Cai", "Điện Biên"] {
        let rows: Vec<Vec<String>> = drawn
            .lines()
            .skip(1)
            .filter(|l| l.starts_with(prov))
            .map(|l| {
                // The name has a comma in quotes: split around it.
                let (head, rest) = l.split_once(",\"").unwrap();
                let (_, tail) = rest.split_once("\",").unwrap();
                head.split(',')
                    .chain(tail.split(','))
                    .map(String::from)
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), 49, "{prov}");
        // With PPS each commune's children over its π is the province's total (Horvitz–
        // Thompson is exact for the size measure itself).
        let ht: f64 = rows
            .iter()
            .map(|r| r[2].parse::<f64>().unwrap() / r[3].parse::<f64>().unwrap())
            .sum();
        let total: f64 = std::fs::read_to_string(&f)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with(prov))
            .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
            .sum();
        assert!((ht - total).abs() / total < 1e-6, "{prov}: {ht} vs {total}");
        assert!(rows.iter().any(|r| r[1] == "00005" && r[3] == "1.00000000"));
    }
    // A bad frame is refused with its file and line.
    std::fs::write(
        out("bad.csv"),
        "province,commune,name,children\nA,1,X,many\n",
    )
    .unwrap();
    let o = plan(&[
        "--frame",
        out("bad.csv").to_str().unwrap(),
        "--seed",
        "1",
        "--out",
        out("x.csv").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.csv:2: `children` must be a number"),
        "{err}"
    );
}

#[test]
fn a_hub_report_weights_each_interview_by_its_communes_selection_probability() {
    use common::hub::{HubProc, device};
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProc::new(&tmp.path().join("hub"));
    let forms = hub.dir.join("forms");
    // Five of the form's six communes were drawn; 02794 was not.
    let pi = [
        ("11", "03160", 0.5),
        ("11", "03199", 0.25),
        ("11", "03124", 1.0),
        ("15", "02686", 0.2),
        ("15", "02752", 0.4),
    ];
    let mut plan = String::from("province,commune,name,children,probability,children_to_select\n");
    for (p, c, x) in pi {
        plan.push_str(&format!("{p},{c},Xã,100,{x},60\n"));
    }
    std::fs::write(forms.join("plan.csv"), plan).unwrap();
    let defs = forms.join("child_participation.indicators.toml");
    let text = std::fs::read_to_string(&defs).unwrap().replace(
        "form = \"child_participation\"",
        "form = \"child_participation\"\nstrata = \"${province}\"\npsu = \"${commune}\"\n\
         plan = \"plan.csv\"\nchild_weight = \"2\"",
    );
    std::fs::write(&defs, text).unwrap();
    let dev = tmp.path().join("dev");
    drop(device(&dev, &hub, "laptop-p", 400));
    common::run(&["--data-dir", dev.to_str().unwrap(), "sync"]);
    let h = hub.dir.to_str().unwrap();
    let report = |format: &str| {
        common::run(&[
            "--lang",
            "en",
            "hub",
            "report",
            "--data",
            h,
            "--format",
            format,
            "--include-training",
        ])
    };
    let table = report("table");
    assert!(
        table.contains("outside the sample plan, left out"),
        "{table}"
    );
    assert!(
        table.contains("follow the sample design: 2 strata, 5 primary"),
        "{table}"
    );
    // The plan against what came in: every selected commune has interviews (400 simulated).
    assert!(
        table.contains("Sample plan, 11: 3/3 communes reached;"),
        "{table}"
    );
    assert!(table.contains("/180 children interviewed"), "{table}");
    assert!(
        table.contains("Sample plan, 15: 2/2 communes reached;"),
        "{table}"
    );
    let html = report("html");
    assert!(html.contains("<th>Planned</th><th>Interviewed</th>"));
    // Interviews completed per commune, from the HTML report's plan table.
    let completed = |commune: &str| -> f64 {
        let needle = format!("<td>{commune}</td><td>60</td><td>");
        let rest = &html[html.find(&needle).unwrap() + needle.len()..];
        rest[..rest.find('<').unwrap()]
            .replace(',', "")
            .parse()
            .unwrap()
    };
    let csv = report("csv");
    let head: Vec<&str> = csv
        .lines()
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(',')
        .collect();
    let col = |name: &str| head.iter().position(|c| *c == name).unwrap();
    // Rows of the first indicator (labels have no commas in English).
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("consulted,"))
        .map(|l| l.split(',').collect())
        .collect();
    let get = |r: &Vec<&str>, name: &str| r[col(name)].parse::<f64>().unwrap();
    let total = rows
        .iter()
        .find(|r| r[col("breakdown_name")].is_empty())
        .unwrap();
    let (mut sw, mut swy) = (0.0, 0.0);
    for (_, c, x) in pi {
        let Some(cell) = rows
            .iter()
            .find(|r| r[col("breakdown_name")] == "commune" && r[col("cell_value")] == c)
        else {
            continue;
        };
        // Non-response: the commune's weights × planned (60) / interviews completed there.
        let done = completed(c);
        let w = get(cell, "n") * 2.0 / x * 60.0 / done;
        sw += w;
        swy += w * get(cell, "estimate");
    }
    let want = swy / sw;
    assert!(
        (get(total, "estimate") - want).abs() < 1e-9,
        "{} vs {want}",
        get(total, "estimate")
    );
    assert!(
        !csv.contains(",commune,02794,"),
        "not in the plan, not in the report"
    );
}

#[test]
fn simulate_follows_a_plan_commune_by_commune_and_refuses_codes_the_form_lacks() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.csv");
    std::fs::write(
        &plan,
        "province,commune,name,children,probability,children_to_select\n\
         11,03160,Xã,100,0.5,30\n15,02752,Xã,100,0.4,20\n",
    )
    .unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let out = common::run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        "child_participation",
        "--plan",
        plan.to_str().unwrap(),
        "--seed",
        "5",
    ]);
    // One attempt per selected child: finalized + ended early = 50.
    let number = |s: &str, tail: &str| -> usize {
        s.lines()
            .find(|l| l.contains(tail))
            .and_then(|l| l.split_whitespace().next())
            .map_or(0, |n| n.parse().unwrap())
    };
    let (done, ended) = (number(&out, "finalized"), number(&out, "ended early"));
    assert_eq!(done + ended, 50, "{out}");
    assert!(done > 0, "{out}");
    let list = common::run(&["--data-dir", d, "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&list).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), done);
    // Where each interview was taken: the report's microdata (its province and commune
    // breakdowns).
    let micro = tmp.path().join("micro.csv");
    common::run(&[
        "--data-dir",
        d,
        "report",
        "--form",
        "child_participation",
        "--microdata",
        micro.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&micro).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (p, c) = (col("by_province"), col("by_commune"));
    assert_eq!(csv.lines().count(), done + 1);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert!(
            matches!((f[p], f[c]), ("11", "03160") | ("15", "02752")),
            "an interview outside the plan: {line}"
        );
    }
    std::fs::write(
        &plan,
        "province,commune,name,children,probability,children_to_select\n11,99999,Xã,100,0.5,3\n",
    )
    .unwrap();
    let o = langnghe()
        .args([
            "--data-dir",
            d,
            "simulate",
            "--form",
            "child_participation",
            "--plan",
        ])
        .arg(&plan)
        .finish();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("`99999` is not a commune of form child_participation"),
        "{err}"
    );
}
