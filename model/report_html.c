// SPDX-License-Identifier: GPL-2.0
/*
 * report_html.c - the self-contained HTML report (report_html.h).
 *
 * The page is one file: inline CSS, inline JS, data in
 * <script type="application/json"> blocks ('<' written as \u003c so no data
 * can close the script element).  Data blocks:
 *   nt-stats    exactly the document of `nft-analyze stats --json` (stats.c)
 *   nt-log      file, host, kernel, backend, start time, packets in the table
 *   nt-hist     per-layer histograms of time per packet (power-of-two ns buckets)
 *   nt-packets  the first --max-packets packets with their journeys
 * Memory: the stats module's fixed tables, 65 buckets per layer, and the
 * packet table (bounded by --max-packets and MAX_JOURNEY entries per packet).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/output.h"
#include "model/report_html.h"
#include "model/stats.h"

#define MAX_JOURNEY 400
#define MAX_BRANCHES 64
#define NBUCKETS 65

struct nt_report_html {
	struct nt_report_html_opts o;
	struct nt_stats *st;
	FILE *pk;             /* memstream: packet table JSON array members */
	char *pkbuf;
	size_t pklen;
	struct nt_jw pw;
	uint64_t shown, start;
	int start_set;
	uint64_t hist[NT_MODEL_MAX_LAYERS][NBUCKETS];
};

struct nt_report_html *nt_report_html_new(const struct nt_report_html_opts *o)
{
	struct nt_report_html *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->o = *o;
	c->st = nt_stats_new();
	c->pk = open_memstream(&c->pkbuf, &c->pklen);
	if (!c->st || !c->pk) {
		nt_report_html_free(c);
		return NULL;
	}
	nt_jw_init(&c->pw, c->pk);
	c->pw.depth = 1;       /* members of the packets array written by write_html() */
	c->pw.kind[0] = '[';
	return c;
}

void nt_report_html_free(struct nt_report_html *c)
{
	if (!c)
		return;
	if (c->pk)
		fclose(c->pk);
	free(c->pkbuf);
	nt_stats_free(c->st);
	free(c);
}

void nt_report_html_record(struct nt_report_html *c, const struct nt_model *m,
			   const struct nt_packet *p, const struct nt_ev_hdr *h)
{

	if (!c->start_set && h->ts_ns) {
		c->start = h->ts_ns;
		c->start_set = 1;
	}
	nt_stats_event(c->st, m, p, h);
}

static double rel_us(uint64_t ts, uint64_t base)
{
	return ts >= base ? (double)(ts - base) / 1000.0 : -(double)(base - ts) / 1000.0;
}

static int branch_of(uint64_t *b, int *nb, uint64_t skb)
{
	if (!skb)
		return 0;
	for (int i = 0; i < *nb; i++)
		if (b[i] == skb)
			return i;
	if (*nb == MAX_BRANCHES)
		return MAX_BRANCHES - 1;
	b[*nb] = skb;
	return (*nb)++;
}

static void journey(struct nt_report_html *c, const struct nt_model *m, const struct nt_packet *p)
{
	struct nt_jw *w = &c->pw;
	uint64_t br[MAX_BRANCHES];
	int nb = 1;
	uint64_t n = 0, skipped = 0;
	const struct nt_ev_hdr *h;
	char a[900], b[600];

	/* display strings: names made visible (nt_esc_t), rule texts cut (--max-rule-text) */
	br[0] = p->skb;
	nt_jw_arr(w, "j");
	for (size_t off = 0; off + sizeof(*h) <= p->ev_len; off += nt_ev_len(h)) {
		int bi;

		h = (const void *)(p->ev + off);
		if (!nt_ev_len(h))
			break;
		if (h->type == NT_EV_META)
			continue;
		bi = branch_of(br, &nb, h->type == NT_EV_LINK ? ((const struct nt_ev_link *)h)->parent : h->skb);
		if (n >= MAX_JOURNEY) {
			skipped++;
			continue;
		}
		n++;
		nt_jw_arr(w, NULL);
		nt_jw_dbl(w, NULL, rel_us(h->ts_ns, p->first_ts), 3);
		nt_jw_u64(w, NULL, (uint64_t)bi);
		switch (h->type) {
		case NT_EV_FUNC: {
			const struct nt_func_info *fi = nt_model_func(m, h->id);

			nt_jw_str(w, NULL, "f");
			nt_jw_str(w, NULL, nt_esc_t(fi->layer_name));
			nt_jw_str(w, NULL, nt_esc_t(fi->name));
			break;
		}
		case NT_EV_NFT_CHAIN: {
			const struct nt_ev_nft_chain *ch = (const void *)h;

			nt_fmt_chain(a, sizeof(a), m, ch->chain_key);
			nt_jw_str(w, NULL, "c");
			nt_jw_str(w, NULL, a);
			if (ch->phase == NT_CHAIN_ENTER) {
				snprintf(b, sizeof(b), "enter (hook %s)", nt_hook_name(ch->hook));
				nt_jw_str(w, NULL, b);
			} else {
				snprintf(b, sizeof(b), "exit %s", nt_verdict_name(ch->verdict));
				nt_jw_str(w, NULL, b);
			}
			break;
		}
		case NT_EV_NFT_RULE: {
			const struct nt_ev_nft_rule *r = (const void *)h;

			nt_fmt_chain(a, sizeof(a), m, r->chain_key);
			nt_fmt_rule_verdict(b, sizeof(b), m, r);
			nt_jw_str(w, NULL, "r");
			nt_jw_str(w, NULL, a);
			if (r->kind == NT_RULE_KIND_POLICY)
				nt_jw_str(w, NULL, "policy");
			else if (nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN)
				nt_jw_str(w, NULL, "return");
			else {
				char hd[32];

				snprintf(hd, sizeof(hd), "#%" PRIu64, r->rule_handle);
				nt_jw_str(w, NULL, hd);
			}
			{
				const char *text = nt_model_rule_text(m, r->chain_key, r->rule_handle);

				nt_jw_str(w, NULL, text ? nt_rule_text_t(m, text) : NULL);
			}
			nt_jw_str(w, NULL, b);
			break;
		}
		case NT_EV_DROP: {
			const struct nt_ev_drop *d = (const void *)h;
			const char *rn = nt_model_drop_reason(m, d->reason);

			if (!rn) {
				snprintf(b, sizeof(b), "reason %u", d->reason);
				rn = b;
			}
			nt_jw_str(w, NULL, "d");
			nt_jw_str(w, NULL, nt_esc_t(rn));
			nt_jw_str(w, NULL, nt_esc_t(nt_model_func(m, h->id)->name));
			break;
		}
		case NT_EV_LINK: {
			const struct nt_ev_link *l = (const void *)h;
			int ci = branch_of(br, &nb, h->skb);

			snprintf(b, sizeof(b), "skb %d (0x%" PRIx64 ")", ci, h->skb);
			nt_jw_str(w, NULL, "l");
			nt_jw_str(w, NULL, l->kind == NT_LINK_COPY ? "copy" : l->kind == NT_LINK_REALLOC ?
				  "realloc" : "clone");
			nt_jw_str(w, NULL, b);
			break;
		}
		case NT_EV_FREE:
			nt_jw_str(w, NULL, "x");
			nt_jw_str(w, NULL, h->flags & NT_F_INFERRED ? "inferred" : "freed");
			nt_jw_str(w, NULL, nt_esc_t(nt_model_func(m, h->id)->name));
			break;
		default:
			nt_jw_str(w, NULL, "?");
			break;
		}
		nt_jw_end(w);
	}
	nt_jw_end(w);
	if (skipped)
		nt_jw_u64(w, "more", skipped);
}

void nt_report_html_packet(struct nt_report_html *c, const struct nt_model *m,
			   const struct nt_packet *p)
{
	struct nt_jw *w = &c->pw;
	char flow[200], rule[6000];

	nt_stats_packet(c->st, m, p);
	for (int l = 0; l < NT_MODEL_MAX_LAYERS; l++)
		if (p->layer_seen & (1u << l)) {
			uint64_t v = p->layer_ns[l];

			c->hist[l][v ? 64 - __builtin_clzll(v) : 0]++;
		}
	if (c->shown >= c->o.max_packets)
		return;
	c->shown++;
	if (!c->start_set) {
		c->start = p->first_ts;
		c->start_set = 1;
	}
	nt_fmt_flow(flow, sizeof(flow), p->has_meta ? &p->meta : NULL);
	nt_jw_obj(w, NULL);
	nt_jw_u64(w, "id", p->id);
	nt_jw_dbl(w, "t", rel_us(p->first_ts, c->start), 3);
	nt_jw_hex(w, "skb", p->skb);
	nt_jw_str(w, "proto", p->has_meta ? nt_proto_name(p->meta.l4proto) : "?");
	nt_jw_str(w, "flow", flow);
	nt_jw_str(w, "v", nt_verdict_name(p->verdict));
	nt_jw_str(w, "fate", nt_fate_name(p->fate));
	rule[0] = 0;
	if (p->verdict_chain) {
		const char *text = nt_model_rule_text(m, p->verdict_chain, p->verdict_rule);
		char ch[900];

		nt_fmt_chain(ch, sizeof(ch), m, p->verdict_chain);
		if (p->verdict_rule)
			snprintf(rule, sizeof(rule), "%s #%" PRIu64 "%s%s", ch, p->verdict_rule,
				 text ? ": " : "", text ? nt_rule_text_t(m, text) : "");
		else
			snprintf(rule, sizeof(rule), "%s %s", ch,
				 p->verdict_kind == NT_RULE_KIND_POLICY ? "policy" : "chain verdict");
	}
	nt_jw_str(w, "rule", rule[0] ? rule : NULL);
	if (p->dropped) {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);
		char b[32];

		if (!rn) {
			snprintf(b, sizeof(b), "reason %u", p->drop_reason);
			rn = b;
		}
		nt_jw_str(w, "drop", nt_esc_t(rn));
	} else {
		nt_jw_str(w, "drop", NULL);
	}
	nt_jw_dbl(w, "dur", (double)(p->last_ts >= p->first_ts ? p->last_ts - p->first_ts : 0) / 1000.0, 3);
	nt_jw_u64(w, "nf", p->n_funcs);
	nt_jw_u64(w, "nc", p->n_chains);
	nt_jw_u64(w, "nr", p->n_rules);
	nt_jw_u64(w, "nb", p->n_branches);
	nt_jw_bool(w, "inc", p->incomplete);
	journey(c, m, p);
	nt_jw_end(w);
}

/* Copy a JSON text into the page: '<' as \u003c (valid in JSON strings, the
 * only place it can occur), so "</script>" cannot appear. */
static void put_json(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '<')
			fputs("\\u003c", f);
		else
			putc(s[i], f);
	}
}

static const char css[] =
	"*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0;background:#f4f5f7;color:#1d2330}header{background:#1f3a5f;color:#fff;padding:14px 24px}"
	"header h1{margin:0;font-size:20px}header .sub{opacity:.8;font-size:12px;margin-top:4px}"
	"main{padding:16px 24px;max-width:1400px}section{background:#fff;border-radius:8px;"
	"box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px 16px;margin-bottom:16px}"
	"h2{font-size:16px;margin:0 0 10px}.grid{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(420px,1fr));gap:16px}.cards{display:flex;flex-wrap:wrap;gap:10px}"
	".card{background:#eef2f8;border-radius:6px;padding:8px 14px;min-width:120px}"
	".card .v{font-size:20px;font-weight:600}.card .k{font-size:11px;color:#556}"
	"table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;text-align:left;"
	"border-bottom:1px solid #e4e7ec;vertical-align:top}th{font-size:12px;color:#556}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	".bar{height:14px;border-radius:3px;background:#4a7bd0;display:inline-block;vertical-align:middle}"
	".v-ACCEPT .bar,.bar.ACCEPT{background:#2e9d5b}.v-DROP .bar,.bar.DROP{background:#d64545}"
	".bar.NONE{background:#999}.tag{display:inline-block;padding:0 6px;border-radius:3px;"
	"font-size:12px;font-weight:600;color:#fff;background:#777}.tag.ACCEPT{background:#2e9d5b}"
	".tag.DROP{background:#d64545}.tag.STOLEN,.tag.QUEUE{background:#c98a1b}"
	"#pkts tr.p{cursor:pointer}#pkts tr.p:hover{background:#f0f4ff}"
	"#pkts tr.j td{background:#fafbfc;padding:6px 16px}.jr{font:12px/1.5 ui-monospace,monospace;"
	"white-space:pre-wrap}.jr .t{color:#889;display:inline-block;width:90px;text-align:right;"
	"margin-right:8px}.jr .L{color:#4a5a7a;display:inline-block;width:90px}.jr .r{color:#1b5fb5}"
	".jr .d{color:#d64545;font-weight:600}.jr .c{color:#666}.jr .b{color:#a06a00}"
	"input#q{width:360px;padding:5px 8px;border:1px solid #bbc;border-radius:4px;font-size:14px}"
	".hists{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 16px}"
	".hist{display:flex;align-items:flex-end;gap:2px;height:50px;border-bottom:1px solid #ccd;"
	"overflow:hidden}.hist div{background:#7b68c8;flex:1 1 0;min-width:2px;max-width:36px}"
	".hl{display:flex;gap:2px;font-size:9px;color:#667;overflow:hidden}.hl span{flex:1 1 0;"
	"min-width:0;max-width:36px;text-align:left;overflow:visible;white-space:nowrap}.lay{margin-bottom:12px}.muted{color:#778;font-size:12px}"
	"code{font:12px ui-monospace,monospace;background:#f1f3f6;padding:0 3px;border-radius:3px}";

/* Renders everything from the JSON blocks; numbers that come from
 * `stats --json` carry data-k="path" (tests compare them). */
static const char js[] =
	"'use strict';\n"
	"const $=id=>document.getElementById(id);\n"
	"const J=id=>JSON.parse($(id).textContent);\n"
	"const S=J('nt-stats').stats,L=J('nt-log'),H=J('nt-hist'),P=J('nt-packets');\n"
	/* names from the log may hold controls and bidi overrides: shown as \\x1b / \\u202e */
	"const vis=s=>s.replace(/[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e"
	"\\u2066-\\u2069\\ufffe\\uffff]/g,c=>{const n=c.charCodeAt(0);return n<128?'\\\\x'+"
	"n.toString(16).padStart(2,'0'):'\\\\u'+n.toString(16).padStart(4,'0');});\n"
	"function el(t,a,...c){const e=document.createElement(t);for(const k in a||{}){"
	"if(k==='cls')e.className=a[k];else e.setAttribute(k,a[k]);}"
	"for(const x of c)e.append(x instanceof Node?x:document.createTextNode(vis(String(x))));return e;}\n"
	"function fmtNs(ns){return ns>=1e9?(ns/1e9).toFixed(3)+' s':ns>=1e6?(ns/1e6).toFixed(3)+' ms':"
	"ns>=1e3?(ns/1e3).toFixed(3)+' µs':ns+' ns';}\n"
	"function fmtHi(ns){return ns>=1e9?(ns/1e9).toFixed(1)+' s':ns>=1e6?(ns/1e6).toFixed(1)+' ms':"
	"ns>=1e3?(ns/1e3).toFixed(ns>=1e5?0:1)+' µs':ns+' ns';}\n"
	"function num(k,v){return el('td',{cls:'n','data-k':k},v);}\n"
	"function dur(k,ns){return el('td',{cls:'n','data-k':k,'data-v':ns},fmtNs(ns));}\n"
	"/* summary */\n"
	"(function(){const t=S.totals,c=$('cards');"
	"const items=[['packets','totals.packets',t.packets],['events','totals.events',t.events],"
	"['dropped','totals.dropped_packets',t.dropped_packets],['functions hit','totals.functions_hit',"
	"t.functions_hit],['nft chains','totals.nft_chains',t.nft_chains],['nft rules','totals.nft_rules',"
	"t.nft_rules],['incomplete','totals.incomplete_packets',t.incomplete_packets],"
	"['duration','totals.duration_ns',t.duration_ns,1],['lost (ring buffer)','loss.ringbuf',"
	"S.loss.ringbuf],['lost (netlink)','loss.netlink',S.loss.netlink]];"
	"for(const [k,p,v,ns] of items)c.append(el('div',{cls:'card'},ns?el('div',{cls:'v','data-k':p,"
	"'data-v':v},fmtNs(v)):el('div',{cls:'v','data-k':p},v),el('div',{cls:'k'},k)));"
	"$('sub').textContent=vis(`${L.file} — host ${L.hostname||'?'}, kernel ${L.kernel||'?'}, backend "
	"${L.backend||'?'}, started ${L.start_time||'?'}`+(t.log_error?` — LOG DAMAGED: ${t.log_error}`:"
	"t.log_complete?'':' — no trailer (recording did not end cleanly)'));})();\n"
	"/* verdicts */\n"
	"(function(){const tb=$('verdicts');const max=Math.max(1,...S.by_verdict.map(v=>v.packets));"
	"for(const v of S.by_verdict){const pct=S.totals.packets?100*v.packets/S.totals.packets:0;"
	"tb.append(el('tr',{cls:'v-'+v.verdict},el('td',{},el('span',{cls:'tag '+v.verdict},v.verdict)),"
	"num('by_verdict.'+v.verdict+'.packets',v.packets),el('td',{},el('span',{cls:'bar '+v.verdict,"
	"style:`width:${Math.max(2,300*v.packets/max)}px`}),' '+pct.toFixed(1)+'%')));}"
	"if(!S.by_verdict.length)tb.append(el('tr',{},el('td',{},'no packets')));})();\n"
	"/* drops and rules */\n"
	"(function(){const d=$('drops');const max=Math.max(1,...S.drops_by_reason.map(r=>r.packets));"
	"for(const r of S.drops_by_reason.slice().sort((a,b)=>b.packets-a.packets))"
	"d.append(el('tr',{},el('td',{},r.reason||('reason '+r.value)),num('drops_by_reason.'+r.value+"
	"'.packets',r.packets),el('td',{},el('span',{cls:'bar DROP',style:`width:${Math.max(2,200*r.packets"
	"/max)}px`}))));if(!S.drops_by_reason.length)d.append(el('tr',{},el('td',{cls:'muted'},"
	"'no drops')));"
	"const t=$('rules');S.by_rule.forEach((r,i)=>{const where=r.table?`${r.family} ${r.table} "
	"${r.chain}`:r.chain_key;const what=r.kind==='rule'?`#${r.handle}`:r.kind;"
	"t.append(el('tr',{},el('td',{},where+' '+what),el('td',{},r.text?el('code',{},r.text):''),"
	"el('td',{},el('span',{cls:'tag '+r.verdict},r.verdict)),num('by_rule.'+i+'.packets',r.packets)));});"
	"if(!S.by_rule.length)t.append(el('tr',{},el('td',{cls:'muted'},'no nftables verdicts')));})();\n"
	"/* layers */\n"
	"(function(){const tb=$('ltime');for(const l of S.layer_time){tb.append(el('tr',{},el('td',{},"
	"l.layer),num('layer_time.'+l.layer+'.packets',l.packets),dur('layer_time.'+l.layer+'.p50_ns',"
	"l.p50_ns),dur('layer_time.'+l.layer+'.p90_ns',l.p90_ns),dur('layer_time.'+l.layer+"
	"'.p99_ns',l.p99_ns),dur('layer_time.'+l.layer+'.max_ns',l.max_ns)));}"
	"const hs=$('hists');for(const h of H.layers){const max=Math.max(1,...h.buckets.map(b=>b[2]));"
	"const bars=el('div',{cls:'hist'}),lab=el('div',{cls:'hl'});let tot=0,i=0;"
	"const step=Math.ceil(h.buckets.length/8);"
	"for(const [lo,hi,n] of h.buckets){tot+=n;bars.append(el('div',{style:`height:${n?Math.max(3,"
	"48*n/max):0}px`,title:`${fmtHi(lo)} – ${fmtHi(hi)}: ${n} packets`}));lab.append(el('span',{},"
	"i++%step?'':fmtHi(lo)));}"
	"hs.append(el('div',{cls:'lay'},el('b',{},h.layer),' ',el('span',{cls:'muted','data-hist':h.layer},"
	"tot+' packets'),bars,lab));}})();\n"
	"/* packets */\n"
	"(function(){const tb=$('pkts');"
	"$('pnote').textContent=`${P.length} of ${S.totals.packets} packets shown`+(P.length<"
	"S.totals.packets?` (the first ${L.max_packets} to complete; --max-packets N shows more)`:'');"
	"function jr(p){const d=el('div',{cls:'jr'});const nb=new Set(p.j.map(e=>e[1])).size;"
	"for(const e of p.j){const [t,b,k]=e;const line=el('div',{});line.append(el('span',{cls:'t'},"
	"'['+t.toFixed(3)+'µs]'));if(nb>1)line.append(el('span',{cls:'b'},'skb'+b+' '));"
	"if(k==='f'){line.append(el('span',{cls:'L'},e[3]),e[4]);}"
	"else if(k==='r'){line.append(el('span',{cls:'r'},`nft ${e[3]} ${e[4]}: `),e[5]?el('code',{},"
	"e[5]):'',' ',el('span',{cls:'tag '+e[6]},e[6]));}"
	"else if(k==='c'){line.append(el('span',{cls:'c'},`nft chain ${e[3]}: ${e[4]}`));}"
	"else if(k==='d'){line.append(el('span',{cls:'d'},`DROP ${e[3]} at ${e[4]}`));}"
	"else if(k==='l'){line.append(el('span',{cls:'b'},`${e[3]} -> ${e[4]}`));}"
	"else if(k==='x'){line.append(el('span',{cls:'c'},e[3]==='inferred'?"
	"'freed (inferred: the address was reused; time of the reuse)':`freed at ${e[4]}`));}"
	"d.append(line);}if(p.more)d.append(el('div',{cls:'muted'},`... ${p.more} more records`));"
	"return d;}"
	"P.sort((a,b)=>a.t-b.t||a.id-b.id);"
	"for(const p of P){const text=[p.id,p.proto,p.flow,p.v,p.fate||'',p.rule||'',p.drop||'',"
	"...p.j.map(e=>e.slice(2).join(' '))].join(' ').toLowerCase();"
	"const r=el('tr',{cls:'p','data-id':p.id},el('td',{cls:'n'},p.id),el('td',{cls:'n'},"
	"fmtNs(Math.round(p.t*1000))),"
	"el('td',{},p.proto),el('td',{},p.flow),el('td',{},el('span',{cls:'tag '+p.v},p.v)),"
	"el('td',{},p.rule||''),el('td',{},(p.fate||'')+(p.drop?': '+p.drop:'')),el('td',{cls:'n'},p.nf),"
	"el('td',{cls:'n'},p.nr),el('td',{cls:'n'},fmtNs(Math.round(p.dur*1000))));r._text=text;"
	"const x=el('tr',{cls:'j',hidden:''},el('td',{colspan:10}));"
	"r.addEventListener('click',()=>{if(!x.firstChild.firstChild)x.firstChild.append(jr(p));"
	"x.hidden=!x.hidden;});tb.append(r,x);}"
	"$('q').addEventListener('input',e=>{const q=e.target.value.trim().toLowerCase();let n=0;"
	"for(const r of tb.querySelectorAll('tr.p')){const m=!q||q.split(/\\s+/).every(w=>r._text.includes(w));"
	"r.hidden=!m;if(!m)r.nextSibling.hidden=true;if(m)n++;}$('qn').textContent=q?n+' match':'';});"
	"/* #open=1,9 and / or #q=TEXT, joined by & (#open=1,9&q=udp) */"
	"const hp=new URLSearchParams(location.hash.slice(1));"
	"if(hp.get('open')){for(const id of hp.get('open').split(',')){"
	"const r=tb.querySelector(`tr.p[data-id=\"${id}\"]`);if(r)r.click();}}"
	"if(hp.get('q')!==null){$('q').value=hp.get('q');"
	"$('q').dispatchEvent(new Event('input'));}})();\n"
	"document.body.dataset.ready='1';\n";

static void html_esc(FILE *f, const char *s)
{
	nt_esc_fputs(f, NT_ESC_HTML, s);
}

static void write_html(FILE *f, struct nt_report_html *c, const struct nt_model *m, const char *stats,
		       size_t slen, int log_complete)
{
	struct nt_jw jw;
	char *buf = NULL;
	size_t len = 0;
	FILE *ms;
	const char *title = c->o.title ? c->o.title : "nft-tracer report";

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>", f);
	html_esc(f, title);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<header><h1>", css);
	html_esc(f, title);
	fputs("</h1><div class=\"sub\" id=\"sub\"></div></header>\n<main>\n"
	      "<section><h2>Summary</h2><div class=\"cards\" id=\"cards\"></div></section>\n"
	      "<div class=\"grid\">\n"
	      "<section><h2>Packets by verdict</h2><table><tbody id=\"verdicts\"></tbody></table></section>\n"
	      "<section><h2>Top drop reasons</h2><table><tbody id=\"drops\"></tbody></table></section>\n"
	      "</div>\n"
	      "<section><h2>Top rules (deciding rule or policy)</h2><table><thead><tr><th>chain / rule</th>"
	      "<th>text</th><th>verdict</th><th class=\"n\">packets</th></tr></thead><tbody id=\"rules\">"
	      "</tbody></table></section>\n"
	      "<div class=\"grid\">\n"
	      "<section><h2>Time per layer (per packet)</h2><table><thead><tr><th>layer</th>"
	      "<th class=\"n\">packets</th><th class=\"n\">p50</th><th class=\"n\">p90</th>"
	      "<th class=\"n\">p99</th><th class=\"n\">max</th></tr></thead><tbody id=\"ltime\"></tbody>"
	      "</table></section>\n"
	      "<section><h2>Time per layer: histograms</h2><div id=\"hists\" class=\"hists\"></div></section>\n"
	      "</div>\n"
	      "<section><h2>Packets</h2><p><input id=\"q\" type=\"search\" placeholder=\"search: address, "
	      "port, verdict, function, rule text...\"> <span id=\"qn\" class=\"muted\"></span> "
	      "<span id=\"pnote\" class=\"muted\"></span></p>\n<table><thead><tr><th class=\"n\">#</th>"
	      "<th class=\"n\">start</th><th>proto</th><th>flow</th><th>nft verdict</th><th>deciding rule</th>"
	      "<th>fate</th><th class=\"n\">funcs</th><th class=\"n\">rules</th>"
	      "<th class=\"n\">duration</th></tr></thead><tbody id=\"pkts\"></tbody></table>\n"
	      "<p class=\"muted\">Click a row for its journey: functions with their layer, nftables chains "
	      "and rules with their text, clones and the drop reason (µs from the packet's first record)."
	      "</p></section>\n</main>\n", f);

	fputs("<script type=\"application/json\" id=\"nt-stats\">", f);
	put_json(f, stats, slen);
	fputs("</script>\n<script type=\"application/json\" id=\"nt-log\">", f);
	ms = open_memstream(&buf, &len);
	if (ms) {
		nt_jw_init(&jw, ms);
		nt_jw_obj(&jw, NULL);
		nt_jw_log_fields(&jw, m, c->o.file);
		nt_jw_bool(&jw, "log_complete", log_complete);
		nt_jw_u64(&jw, "max_packets", c->o.max_packets);
		nt_jw_end(&jw);
		fclose(ms);
		put_json(f, buf, len);
		free(buf);
		buf = NULL;
	}
	fputs("</script>\n<script type=\"application/json\" id=\"nt-hist\">", f);
	ms = open_memstream(&buf, &len);
	if (ms) {
		nt_jw_init(&jw, ms);
		nt_jw_obj(&jw, NULL);
		nt_jw_arr(&jw, "layers");
		for (int l = 0; l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++) {
			int lo = -1, hi = -1;

			for (int b = 0; b < NBUCKETS; b++)
				if (c->hist[l][b]) {
					if (lo < 0)
						lo = b;
					hi = b;
				}
			if (lo < 0)
				continue;
			nt_jw_obj(&jw, NULL);
			nt_jw_str(&jw, "layer", nt_model_layer_name(m, l));
			nt_jw_arr(&jw, "buckets");
			for (int b = lo; b <= hi; b++) {
				/* bucket b holds [2^(b-1), 2^b) ns; bucket 0 holds 0 */
				nt_jw_arr(&jw, NULL);
				nt_jw_u64(&jw, NULL, b ? 1ull << (b - 1) : 0);
				nt_jw_u64(&jw, NULL, b ? (b < 64 ? 1ull << b : UINT64_MAX) : 1);
				nt_jw_u64(&jw, NULL, c->hist[l][b]);
				nt_jw_end(&jw);
			}
			nt_jw_end(&jw);
			nt_jw_end(&jw);
		}
		nt_jw_end(&jw);
		nt_jw_end(&jw);
		fclose(ms);
		put_json(f, buf, len);
		free(buf);
	}
	fputs("</script>\n<script type=\"application/json\" id=\"nt-packets\">[", f);
	put_json(f, c->pkbuf, c->pklen);
	fprintf(f, "]</script>\n<script>%s</script>\n</body></html>\n", js);
}

int nt_report_html_write(struct nt_report_html *c, FILE *f, const struct nt_model *m,
			 const char *log_status, int log_complete)
{
	struct nt_stats_out so = { .top = c->o.top, .log_status = log_status,
				   .log_complete = log_complete };
	struct nt_jw jw;
	char *stats = NULL;
	size_t slen = 0;
	FILE *ms;

	fflush(c->pk);
	ms = open_memstream(&stats, &slen);
	if (!ms)
		return -ENOMEM;
	nt_jw_init(&jw, ms);
	nt_jw_obj(&jw, NULL);
	nt_jw_obj(&jw, "stats");
	nt_stats_json(&jw, c->st, m, &so);
	nt_jw_end(&jw);
	nt_jw_end(&jw);
	nt_jw_newline(&jw);
	fclose(ms);
	write_html(f, c, m, stats, slen, log_complete);
	free(stats);
	return 0;
}
