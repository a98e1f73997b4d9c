package pages

import (
	"crypto/sha256"
	"encoding/base64"
)

// style is every page's one inline style sheet: light and dark themes
// from the reader's system setting, a single readable column on a phone.
// Colours keep a contrast of at least 4.5:1 in both themes.
const style = `:root{color-scheme:light dark;--bg:#fff;--fg:#1a1a1a;--muted:#555;--link:#0645ad;--line:#ddd;--box:#f4f4f4}
@media (prefers-color-scheme:dark){:root{--bg:#121212;--fg:#e8e8e8;--muted:#b0b0b0;--link:#8ab4f8;--line:#3a3a3a;--box:#1e1e1e}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:48rem;padding:1rem;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
a{color:var(--link)}
h1{font-size:1.6rem;line-height:1.25}
h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem}
.lead,.meta,footer{color:var(--muted)}
code{font-size:.9rem;background:var(--box);padding:.1rem .3rem;border-radius:.2rem}
ul{padding-left:1.2rem}
.urls{list-style:none;padding:0}
.urls li{margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
.fmt{font-weight:600;min-width:5.5rem}
button{font:inherit;padding:.2rem .7rem;border:1px solid var(--muted);border-radius:.3rem;background:var(--box);color:var(--fg);cursor:pointer}
.subscribe{display:flex;flex-wrap:wrap;gap:.3rem 1rem;padding:0;list-style:none}
.az{display:flex;flex-wrap:wrap;gap:.2rem .6rem;padding:0;list-style:none}
.az a{display:inline-block;min-width:1.5rem;min-height:1.5rem;text-align:center}
.feeds li{margin:.35rem 0}
.filter label{display:block;font-weight:600}
.filter input{font:inherit;width:100%;max-width:24rem;padding:.3rem .5rem;border:1px solid var(--muted);border-radius:.3rem;background:var(--bg);color:var(--fg)}
article{border-top:1px solid var(--line);padding:.5rem 0}
article h3{margin:.3rem 0}
article p{margin:.3rem 0}
[hidden]{display:none!important}
`

// script enhances a page where JavaScript runs: copy buttons appear and
// copy a feed's address, and the filter box narrows the lists as one
// types. Without it the addresses are there to select, and the filter
// box still suggests matching feed names (its datalist).
const script = `(function(){
document.querySelectorAll("button.copy").forEach(function(b){
b.hidden=false;
b.addEventListener("click",function(){
var u=b.getAttribute("data-url"),s=document.getElementById(b.getAttribute("aria-describedby"));
function done(){if(s){s.textContent="Copied";setTimeout(function(){s.textContent=""},3000)}}
if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(u).then(done,function(){})}
});
});
var f=document.getElementById("filter");
if(!f)return;
function apply(){
var q=f.value.trim().toLowerCase();
document.querySelectorAll("li[data-name]").forEach(function(li){li.hidden=q!==""&&li.getAttribute("data-name").indexOf(q)<0});
document.querySelectorAll("section.letter").forEach(function(s){s.hidden=!s.querySelector("li[data-name]:not([hidden])")});
var n=document.querySelectorAll("li[data-name]:not([hidden])").length,c=document.getElementById("filter-count");
if(c)c.textContent=q===""?"":n+(n===1?" feed matches":" feeds match");
}
f.addEventListener("input",apply);
apply();
})();
`

// ContentSecurityPolicy is the policy a server sends with every page:
// the one style sheet and the one script by their hashes, images (the
// site's icon, site.icon) from the page's origin or over https, nothing
// else: no other request, no plugins, no forms, no framing.
var ContentSecurityPolicy = policy(true)

// metaPolicy is the policy a page carries itself, for static servers that
// send none; frame-ancestors has no effect there and browsers warn of
// it, so it is left out.
var metaPolicy = policy(false)

func policy(header bool) string {
	p := "default-src 'none'; style-src '" + sha256Source(style) + "'; script-src '" + sha256Source(script) +
		"'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'"
	if header {
		p += "; frame-ancestors 'none'"
	}
	return p
}

func sha256Source(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
