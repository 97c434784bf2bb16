//! Markdown to HTML with pulldown-cmark.
fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let text = workloads::markdown_text(20000);
    let mut acc = 0usize;
    for _ in 0..rounds {
        let parser = pulldown_cmark::Parser::new(&text);
        let mut html = String::with_capacity(text.len() * 2);
        pulldown_cmark::html::push_html(&mut html, parser);
        acc += html.len();
    }
    println!("{acc}");
}
