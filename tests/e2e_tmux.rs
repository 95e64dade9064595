//! The real binary in a real terminal (tmux): a whole child interview typed key by key,
//! finalized, then checked with `langnghe list`; and SIGTERM mid-interview.
//!
//! Unix only (tmux, signals). On Windows the app is started in Wine's console, drawn and
//! stopped by `scripts/windows-tests`, driven from the Linux side.
#![cfg(unix)]

mod common;
use common::Finish;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(name: &str, cmd: &str) -> Tmux {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", name])
            .output();
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", name, "-x", "80", "-y", "24", cmd])
            .status()
            .expect("tmux must be installed to run the end-to-end test (.ci/run installs it)");
        assert!(ok.success());
        Tmux {
            name: name.to_string(),
        }
    }
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .finish();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    /// Waits (polling the real screen) until `text` shows up.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(
            Command::new("tmux").args(&args).status().unwrap().success(),
            "tmux session gone after:\n{}",
            self.screen()
        );
    }
    fn literal(&self, text: &str) {
        assert!(
            Command::new("tmux")
                .args(["send-keys", "-t", &self.name, "-l", text])
                .status()
                .unwrap()
                .success()
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .output();
    }
}

fn app_cmd(data: &Path) -> String {
    format!(
        "cd {} && {} --data-dir {}; echo EXIT=$?; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 30",
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_langnghe"),
        data.display()
    )
}

fn list(data: &Path, status: &str) -> String {
    common::run_in(data, &["list", "--status", status])
}

#[test]
fn a_whole_child_interview_typed_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = Tmux::start(&format!("ln-e2e-{}", std::process::id()), &app_cmd(&data));
    t.wait_for("Thiết lập lần đầu");
    t.literal("sv07");
    t.send(&["Enter"]);
    t.wait_for("Đã lưu cài đặt");
    t.send(&["Enter"]);
    t.wait_for("Xin chào ông/bà");
    // (question shown, keys to type); "" just moves on.
    let steps: &[(&str, &str)] = &[
        ("Xin chào ông/bà", ""),
        ("Cha, mẹ hoặc người chăm sóc", "1"),
        ("Chào em!", ""),
        ("Em có muốn trả lời không?", "1"),
        ("Tỉnh", "2"),
        ("Xã / phường", "1"),
        ("Số trẻ em trong danh sách chọn mẫu", "240"),
        ("Số trẻ em được chọn từ danh sách đó", "12"),
        ("Em bao nhiêu tuổi?", "12"),
        ("Em sinh năm nào?", ""),
        ("Em là bạn trai hay bạn gái?", "2"),
        ("Em có đang đi học không?", "1"),
        ("Em học lớp mấy?", "7"),
        ("Em là người dân tộc nào?", "2"),
        ("Em đang sống cùng ai?", "13"),
        ("Bây giờ cô/chú hỏi", ""),
        ("Ở nhà, bố mẹ", "2"),
        ("Ở trường, thầy cô", "1"),
        ("Ở thôn, bản hoặc xã", "2"),
        ("Ở Đội Thiếu niên", "3"),
        ("Khi em nói ý kiến", "2"),
        ("Em thấy thế nào khi nói", "4"),
        ("Theo em, trẻ em có được nói ý kiến", "1"),
        ("Em biết điều đó từ đâu?", "13"),
        ("Cô/chú đọc vài câu", ""),
        ("Trẻ em chỉ được nói ý kiến", "2"),
        ("Mọi trẻ em, trai hay gái", "1"),
        ("không bị phạt", "1"),
        ("em đã tham gia hoạt động nào", "35"),
        ("thường xuyên như thế nào", "3"),
        ("em có biết tìm ai", "1"),
        ("số điện thoại 111", "2"),
        ("Em có thể đang gặp nguy hiểm", "2"),
        (
            "Em có muốn nhắn gì",
            "Cho chúng em một sân chơi, có bóng đá",
        ),
        ("Cảm ơn em rất nhiều!", ""),
    ];
    for (shown, keys) in steps {
        t.wait_for(shown);
        if !keys.is_empty() {
            t.literal(keys);
        }
        t.send(&["Enter"]);
    }
    t.wait_for("Đủ thông tin. Nhấn F8 để hoàn thành.");
    t.send(&["F8"]);
    t.wait_for("Hoàn thành bài phỏng vấn?");
    t.send(&["y"]);
    t.wait_for("Đã lưu bài phỏng vấn an toàn");
    t.wait_for("Đã hoàn thành: 1");
    t.send(&["q"]);
    t.wait_for("Thoát Lắng Nghe?");
    t.send(&["c"]);
    let s = t.wait_for("icanon");
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "terminal left in raw mode:\n{s}"
    );
    let listed = list(&data, "finalized");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("child_participation"), "{listed}");
}

#[test]
fn sigterm_mid_interview_keeps_the_answers_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = Tmux::start(&format!("ln-term-{}", std::process::id()), &app_cmd(&data));
    t.wait_for("Thiết lập lần đầu");
    t.literal("sv08");
    t.send(&["Enter"]);
    t.wait_for("Đã lưu cài đặt");
    t.send(&["Enter"]);
    t.wait_for("Xin chào ông/bà");
    t.send(&["Enter"]);
    t.wait_for("Cha, mẹ hoặc người chăm sóc");
    t.literal("1");
    t.send(&["Enter"]);
    t.wait_for("Chào em!");
    t.send(&["Enter"]);
    t.wait_for("Em có muốn trả lời không?");
    t.literal("1");
    t.send(&["Enter"]);
    t.wait_for("Tỉnh");
    t.literal("2");
    t.send(&["Enter"]);
    t.wait_for("Xã / phường");
    t.literal("1");
    t.send(&["Enter"]);
    // Not drawn from a list: left blank.
    t.wait_for("Số trẻ em trong danh sách chọn mẫu");
    t.send(&["Enter"]);
    t.wait_for("Em bao nhiêu tuổi?");
    // Typed, never confirmed with Enter: Esc must keep it.
    t.literal("13");
    t.send(&["Escape"]);
    t.wait_for("Đã tạm dừng");
    t.send(&["Tab"]);
    t.wait_for("› Bài đang làm dở");
    t.send(&["Enter"]);
    t.wait_for("Em bao nhiêu tuổi?");
    let s = t.wait_for("│13");
    assert!(
        s.contains("Đã trả lời 5/"),
        "Esc kept 13 as the answer:\n{s}"
    );
    // Edited 13 → 15, then the process is stopped before Enter.
    t.send(&["BSpace"]);
    t.literal("5");
    t.wait_for("│15");
    let pattern = format!(
        "^{} --data-dir {}",
        env!("CARGO_BIN_EXE_langnghe"),
        data.display()
    );
    let pid = Command::new("pgrep").args(["-f", &pattern]).finish();
    let pid = String::from_utf8_lossy(&pid.stdout)
        .lines()
        .next()
        .expect("app running")
        .trim()
        .to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let s = t.wait_for("icanon");
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "terminal left in raw mode:\n{s}"
    );
    let drafts = list(&data, "draft");
    assert_eq!(drafts.lines().count(), 1, "{drafts}");
    let out = Command::new(env!("CARGO_BIN_EXE_langnghe"))
        .args(["list", "--json", "--data-dir"])
        .arg(&data)
        .finish();
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        json.contains("\"progress\":\"5/"),
        "every answer was kept: {json}"
    );
    let store = langnghe::store::Store::open(&data).unwrap();
    let (drafts, _) = store.drafts();
    assert!(
        drafts[0].answers.contains(&("age".into(), "15".into())),
        "the edit typed before SIGTERM was kept: {:?}",
        drafts[0].answers
    );
}
