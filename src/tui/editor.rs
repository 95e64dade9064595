//! A one- or multi-line text field edited by grapheme cluster, so that Vietnamese letters
//! with stacked diacritics (ế, ặ) move and delete as one character; input is kept in NFC.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editor {
    text: String,
    /// Cursor as a byte offset, always on a grapheme boundary.
    cursor: usize,
}

impl Editor {
    pub fn new(s: &str) -> Editor {
        let text: String = s.nfc().collect();
        let cursor = text.len();
        Editor { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        self.renormalize();
    }

    /// Re-composes around the cursor so "e" + combining acute typed in two keystrokes
    /// becomes one "é", with the cursor kept after it.
    fn renormalize(&mut self) {
        let (before, after) = self.text.split_at(self.cursor);
        let before: String = before.nfc().collect();
        let after: String = after.nfc().collect();
        self.cursor = before.len();
        self.text = before + &after;
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .graphemes(true)
            .next()
            .map_or(self.cursor, |g| self.cursor + g.len())
    }

    pub(crate) fn backspace(&mut self) {
        let p = self.prev_boundary();
        self.text.replace_range(p..self.cursor, "");
        self.cursor = p;
    }

    pub(crate) fn delete(&mut self) {
        let n = self.next_boundary();
        self.text.replace_range(self.cursor..n, "");
    }

    pub fn left(&mut self) {
        self.cursor = self.prev_boundary();
    }

    pub fn right(&mut self) {
        self.cursor = self.next_boundary();
    }

    pub fn home(&mut self) {
        self.cursor = self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1);
    }

    pub fn end(&mut self) {
        self.cursor = self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i);
    }

    /// Number of graphemes before the cursor on its line, and the line index: where to draw it.
    pub(crate) fn cursor_line_col(&self) -> (usize, usize) {
        let before = &self.text[..self.cursor];
        let line = before.matches('\n').count();
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = unicode_width::UnicodeWidthStr::width(&before[start..]);
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_letters_edit_as_one() {
        let mut e = Editor::new("");
        for c in "Nghe".chars() {
            e.insert(c);
        }
        // "ế" typed as e + circumflex + acute (combining marks): one grapheme, NFC.
        e.insert('e');
        e.insert('\u{302}');
        e.insert('\u{301}');
        assert_eq!(e.text(), "Ngheế");
        assert_eq!(e.text().chars().count(), 5);
        e.left();
        e.insert('x');
        assert_eq!(e.text(), "Nghexế");
        e.right();
        e.backspace();
        assert_eq!(e.text(), "Nghex");
        e.home();
        e.delete();
        assert_eq!(e.text(), "ghex");
        e.end();
        assert_eq!(e.cursor_line_col(), (0, 4));
    }

    #[test]
    fn decomposed_input_is_stored_composed() {
        let e = Editor::new("Tie\u{302}\u{301}ng Vie\u{323}\u{302}t");
        assert_eq!(e.text(), "Tiếng Việt");
    }
}
