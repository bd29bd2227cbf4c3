//! A small scanner for PEP 503 pages: the `<a>` tags and the first `<base href>`.
//!
//! Index pages are machine-written and simple, so this is not an HTML parser: it walks the tags,
//! skips comments, `<script>` and `<style>` bodies, and reads attributes the way browsers do
//! (names case-insensitive, values quoted with `"` or `'` or unquoted, character references
//! decoded). The text between `<a>` and `</a>` is ignored: like pip, the filename comes from the
//! URL.

/// One `<a>` tag's attributes, names lowercased and values decoded, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Anchor {
    attributes: Vec<(String, Option<String>)>,
}

impl Anchor {
    /// The first attribute called `name`: `None` when absent, `Some(None)` when present
    /// without a value (`<a data-yanked href=...>`).
    pub(crate) fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_deref())
    }
}

/// What a page's markup says about its links.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct HtmlLinks {
    /// The `href` of the first `<base>` tag that has one.
    pub(crate) base: Option<String>,
    pub(crate) anchors: Vec<Anchor>,
}

/// Scan `html` for anchors and the base URL.
pub(crate) fn scan(html: &str) -> HtmlLinks {
    let mut links = HtmlLinks::default();
    let bytes = html.as_bytes();
    let mut position = 0;
    while let Some(offset) = html[position..].find('<') {
        position += offset + 1;
        let rest = &html[position..];
        if let Some(comment) = rest.strip_prefix("!--") {
            position = match comment.find("-->") {
                Some(end) => position + 3 + end + 3,
                None => html.len(),
            };
            continue;
        }
        if rest.starts_with('!') || rest.starts_with('?') || rest.starts_with('/') {
            position = match rest.find('>') {
                Some(end) => position + end + 1,
                None => html.len(),
            };
            continue;
        }
        let name_length = rest
            .bytes()
            .take_while(|byte| byte.is_ascii_alphanumeric())
            .count();
        if name_length == 0 {
            // A stray `<` in text.
            continue;
        }
        let name = rest[..name_length].to_ascii_lowercase();
        position += name_length;
        let (attributes, end) = scan_attributes(html, position);
        position = end;
        match name.as_str() {
            "a" => links.anchors.push(Anchor { attributes }),
            "base" if links.base.is_none() => {
                links.base = attributes
                    .into_iter()
                    .find(|(key, _)| key == "href")
                    .and_then(|(_, value)| value);
            }
            "script" | "style" => {
                // Their bodies are raw text: skip to the closing tag.
                let closing = format!("</{name}");
                position =
                    find_ignore_case(bytes, position, closing.as_bytes()).unwrap_or(html.len());
            }
            _ => {}
        }
    }
    links
}

/// Read attributes from `start` (just after the tag name) to the tag's `>`. Returns them and
/// the position after the `>`.
fn scan_attributes(html: &str, start: usize) -> (Vec<(String, Option<String>)>, usize) {
    let bytes = html.as_bytes();
    let mut attributes = Vec::new();
    let mut position = start;
    loop {
        while position < bytes.len()
            && (bytes[position].is_ascii_whitespace() || bytes[position] == b'/')
        {
            position += 1;
        }
        if position >= bytes.len() {
            return (attributes, position);
        }
        if bytes[position] == b'>' {
            return (attributes, position + 1);
        }
        let name_start = position;
        while position < bytes.len()
            && !bytes[position].is_ascii_whitespace()
            && !matches!(bytes[position], b'=' | b'>' | b'/')
        {
            position += 1;
        }
        let name = html[name_start..position].to_ascii_lowercase();
        let mut after_name = position;
        while after_name < bytes.len() && bytes[after_name].is_ascii_whitespace() {
            after_name += 1;
        }
        if after_name >= bytes.len() || bytes[after_name] != b'=' {
            attributes.push((name, None));
            continue;
        }
        position = after_name + 1;
        while position < bytes.len() && bytes[position].is_ascii_whitespace() {
            position += 1;
        }
        let raw = match bytes.get(position) {
            Some(&quote @ (b'"' | b'\'')) => {
                let value_start = position + 1;
                let value_end = html[value_start..]
                    .find(quote as char)
                    .map_or(html.len(), |end| value_start + end);
                position = (value_end + 1).min(html.len());
                &html[value_start..value_end]
            }
            _ => {
                let value_start = position;
                while position < bytes.len()
                    && !bytes[position].is_ascii_whitespace()
                    && bytes[position] != b'>'
                {
                    position += 1;
                }
                &html[value_start..position]
            }
        };
        let value = html_escape::decode_html_entities(raw).into_owned();
        attributes.push((name, Some(value)));
    }
}

fn find_ignore_case(haystack: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(start..)?
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
        .map(|offset| start + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hrefs(html: &str) -> Vec<String> {
        scan(html)
            .anchors
            .iter()
            .map(|anchor| {
                anchor
                    .attribute("href")
                    .flatten()
                    .unwrap_or("-")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn reads_attributes_in_every_quoting_style() {
        let links = scan(
            r#"<html><body>
            <A HREF="a.whl#sha256=00" data-requires-python="&gt;=3.8,&lt;4" Data-Yanked>a</A>
            <a href='b.tar.gz' data-yanked='broken &amp; bad'>b</a>
            <a href=c.zip data-core-metadata = "sha256=ff">c</a>
            </body></html>"#,
        );
        assert_eq!(links.anchors.len(), 3);
        let a = &links.anchors[0];
        assert_eq!(a.attribute("href"), Some(Some("a.whl#sha256=00")));
        assert_eq!(a.attribute("data-requires-python"), Some(Some(">=3.8,<4")));
        assert_eq!(a.attribute("data-yanked"), Some(None));
        assert_eq!(a.attribute("data-dist-info-metadata"), None);
        let b = &links.anchors[1];
        assert_eq!(b.attribute("data-yanked"), Some(Some("broken & bad")));
        let c = &links.anchors[2];
        assert_eq!(c.attribute("href"), Some(Some("c.zip")));
        assert_eq!(c.attribute("data-core-metadata"), Some(Some("sha256=ff")));
    }

    #[test]
    fn skips_comments_scripts_and_closing_tags() {
        let html = r#"<!DOCTYPE html><!-- <a href="commented.whl"> -->
            <script>var s = '<a href="script.whl">';</script>
            <style>a > b { }</style>
            <p>1 < 2</p><a href="real.whl" title="x > y">real</a>"#;
        assert_eq!(hrefs(html), ["real.whl"]);
    }

    #[test]
    fn first_base_with_href_wins() {
        let links =
            scan(r#"<head><base target="_top"><base href="/files/"><base href="/other/"></head>"#);
        assert_eq!(links.base.as_deref(), Some("/files/"));
    }

    #[test]
    fn tolerates_truncated_markup() {
        assert_eq!(
            hrefs(r#"<a href="x.whl">x</a><a href="unterminated"#),
            ["x.whl", "unterminated"]
        );
        assert!(scan("<a").anchors.len() == 1);
        assert!(scan("<!-- never closed <a href=x>").anchors.is_empty());
    }
}
