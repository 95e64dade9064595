//! The app's own words (not the form's), in Vietnamese and English.

use crate::expr::value::num_to_string;
use crate::form::answer::AnswerError;

fn pick<'a>(lang: &str, vi: &'a str, en: &'a str) -> &'a str {
    crate::lang::Lang::from_code(lang).pick(vi, en)
}

pub(crate) fn answer_error(e: &AnswerError, lang: &str) -> String {
    match e {
        AnswerError::NotInteger => pick(
            lang,
            "Hãy nhập một số nguyên, ví dụ 12.",
            "Enter a whole number, like 12.",
        )
        .into(),
        AnswerError::TooLarge => pick(
            lang,
            "Số này quá lớn. Hãy kiểm tra lại.",
            "That number is too large. Please check it.",
        )
        .into(),
        AnswerError::TwoDigitYear => pick(
            lang,
            "Hãy viết năm đủ 4 chữ số, ví dụ 31/12/2015.",
            "Write the year with 4 digits, like 31/12/2015.",
        )
        .into(),
        AnswerError::NotDecimal => pick(
            lang,
            "Hãy nhập một số, ví dụ 2,5.",
            "Enter a number, like 2.5.",
        )
        .into(),
        AnswerError::NotChoice(c) => format!(
            "{} `{c}`",
            pick(lang, "Không có lựa chọn", "No such choice")
        ),
        AnswerError::Repeated(c) => format!(
            "{} `{c}`",
            pick(lang, "Lựa chọn bị lặp lại:", "Choice given twice:")
        ),
        AnswerError::NotDate => pick(
            lang,
            "Hãy nhập ngày dạng 31/12/2015 hoặc 2015-12-31.",
            "Enter a date like 2015-12-31 or 31/12/2015.",
        )
        .into(),
        AnswerError::NotTime => {
            pick(lang, "Hãy nhập giờ dạng 14:30.", "Enter a time like 14:30.").into()
        }
        AnswerError::NotDateTime => pick(
            lang,
            "Hãy nhập ngày giờ dạng 2015-12-31 14:30.",
            "Enter a date and time like 2015-12-31 14:30.",
        )
        .into(),
        AnswerError::OutOfRange { start, end } => format!(
            "{} {} – {}.",
            pick(lang, "Hãy chọn một số từ", "Pick a number from"),
            num_to_string(*start),
            num_to_string(*end)
        ),
        AnswerError::OffStep { step } => format!(
            "{} {}.",
            pick(lang, "Hãy chọn theo bước", "Pick in steps of"),
            num_to_string(*step)
        ),
        AnswerError::NotAcknowledge => {
            pick(lang, "Nhấn OK để xác nhận.", "Press OK to acknowledge.").into()
        }
        AnswerError::NotAnswerable => pick(
            lang,
            "Mục này không cần trả lời.",
            "This item takes no answer.",
        )
        .into(),
    }
}

pub fn required(lang: &str) -> &'static str {
    pick(
        lang,
        "Câu hỏi này cần được trả lời.",
        "This question needs an answer.",
    )
}

pub(crate) fn constraint_failed(lang: &str) -> &'static str {
    pick(
        lang,
        "Câu trả lời này không hợp lệ.",
        "This answer is not accepted.",
    )
}

pub fn read_only(lang: &str) -> &'static str {
    pick(
        lang,
        "Câu hỏi này chỉ để xem.",
        "This question cannot be changed.",
    )
}

pub(crate) fn filtered_out(lang: &str) -> &'static str {
    pick(
        lang,
        "Lựa chọn này không có ở đây.",
        "That choice is not offered here.",
    )
}

pub(crate) fn rank_incomplete(lang: &str) -> &'static str {
    pick(
        lang,
        "Hãy xếp hạng tất cả các lựa chọn.",
        "Rank every choice.",
    )
}

pub(crate) fn not_confirmed(lang: &str) -> &'static str {
    pick(
        lang,
        "Đã gõ nhưng chưa lưu: nhấn Enter để lưu.",
        "Typed but not saved: press Enter to save it.",
    )
}
