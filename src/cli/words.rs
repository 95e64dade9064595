//! The command line's messages in the user's language: `--lang`, else `LANGNGHE_LANG`, else
//! the surveyor's setting, else Vietnamese. Errors from the modules below are worded in
//! English where they are made; here the ones a surveyor can meet are said in Vietnamese.

use super::error::CliError;
use crate::lang::Lang;
use crate::store::StoreError;
use crate::sync::SyncError;
use std::io::ErrorKind;

/// The language for messages: the flag, the environment, the settings (when the store
/// could be read), else Vietnamese.
pub fn choose(flag: Option<&str>, settings: impl FnOnce() -> Option<String>) -> Lang {
    if let Some(l) = flag
        .map(str::to_string)
        .or_else(|| std::env::var("LANGNGHE_LANG").ok())
        .or_else(settings)
    {
        return Lang::from_code(&l);
    }
    Lang::Vi
}

/// "warning" in `lang`.
pub fn warning(lang: Lang) -> &'static str {
    lang.pick("cảnh báo", "warning")
}

/// An error as the user reads it.
pub fn error(e: &CliError, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        CliError::Store(s) => store(s),
        CliError::Sync(s) => sync(s),
        #[cfg(feature = "hub")]
        CliError::Hub(h) => format!("máy chủ: {h}"),
        CliError::Other(s) => format!("lỗi: {s}"),
    }
}

fn store(e: &StoreError) -> String {
    match e {
        StoreError::Locked { dir, holder } => format!(
            "thư mục dữ liệu {} đang được một Lắng Nghe khác dùng ({holder}); hãy đóng nó trước",
            dir.display()
        ),
        StoreError::Io { path, source, .. } => {
            let p = path.display();
            match source.kind() {
                ErrorKind::StorageFull | ErrorKind::QuotaExceeded => format!(
                    "ổ đĩa đã đầy ({p}); hãy giải phóng chỗ trống rồi thử lại — những gì đã lưu không mất"
                ),
                ErrorKind::ReadOnlyFilesystem => {
                    format!("{p} nằm trên ổ chỉ đọc; những gì đã lưu không mất")
                }
                ErrorKind::PermissionDenied => format!(
                    "không có quyền với {p}; hãy kiểm tra chủ sở hữu thư mục — những gì đã lưu không mất"
                ),
                _ => format!("lỗi đọc/ghi {p}: {source}"),
            }
        }
        StoreError::Database { dir, reason } => format!(
            "không mở được kho dữ liệu trong {} ({reason}); hãy chạy `langnghe recover` để dựng lại từ các tệp bài đã lưu",
            dir.display()
        ),
        StoreError::NeedPassphrase(dir) => format!(
            "thư mục dữ liệu {} được bảo vệ bằng mật khẩu: hãy nhập mật khẩu khi được hỏi (hoặc đặt LANGNGHE_PASSPHRASE)",
            dir.display()
        ),
        StoreError::WrongPassphrase(dir) => format!(
            "sai mật khẩu của thư mục dữ liệu {}; không có gì bị thay đổi",
            dir.display()
        ),
        StoreError::NotFound(id) => format!("không có bài phỏng vấn {id}"),
        StoreError::Sealed(id) => {
            format!("bài {id} đã được niêm phong gửi máy chủ: chỉ máy chủ đọc được")
        }
        StoreError::Seal(why) => format!("không niêm phong được: {why}"),
    }
}

fn sync(e: &SyncError) -> String {
    match e {
        SyncError::NotEnrolled => {
            "máy này chưa đăng ký với máy chủ: hãy chạy `langnghe enroll ĐỊA_CHỈ MÃ`".into()
        }
        SyncError::Offline(url) => format!("máy chủ {url} không trả lời; thử lại khi có mạng"),
        SyncError::Refused { status, reason } => {
            format!("máy chủ từ chối ({status}): {reason}")
        }
        SyncError::Store(s) => store(s),
        SyncError::Transport(s) | SyncError::NotOurHub(s) | SyncError::Local(s) => {
            format!("lỗi đồng bộ: {s}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surveyors_errors_are_in_vietnamese_unless_english_is_asked() {
        let e = CliError::Store(StoreError::Locked {
            dir: "/d".into(),
            holder: "pid 7".into(),
        });
        assert!(error(&e, Lang::Vi).contains("đang được một Lắng Nghe khác dùng"));
        assert!(error(&e, Lang::En).contains("is in use by another Lắng Nghe"));
        let e = CliError::Sync(SyncError::NotEnrolled);
        assert!(error(&e, Lang::Vi).contains("chưa đăng ký"));
        assert_eq!(choose(Some("en"), || Some("vi".into())), Lang::En);
    }
}
