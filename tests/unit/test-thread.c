/* Threading, table-driven: synthetic replies against a small draft, one row
   per feature (quote depths, attribution languages, Outlook blocks,
   forwards, tolerant matching, references, sections, context, signatures),
   then quote_segments(), reply_new_text() and the limits. */
#include "config.h"
#include "tap.h"
#include "tag/thread.h"
#include "tag/quote.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static const struct thread_para draft[] = {
	{ 1, "Draft framing paper for the review week. Please comment on any numbered paragraph." },
	{ 2, "Competency-based education asks every student to show mastery before moving on. "
	     "That promise rests on educators who can design learning around clear competencies." },
	{ 3, "Teachers rarely see their own learning modeled in the way they are asked to teach, "
	     "and workshops chosen by the district remain the norm." },
	{ 4, "Calibrating what proficient work looks like requires teachers to score student work "
	     "together and settle disagreements in the open." },
	{ 5, "The teacher\u2019s role widens: designers of learning pathways, coaches of student agency "
	     "and analysts of real-time data about where each student stands." },
	{ 6, "Schools can start small: a single grade-level team that calibrates its grading, or a "
	     "shared protocol for looking at student work." },
	{ 7, "Which of these shifts have you seen succeed in your own district, and what made the "
	     "difference?" },
	{ 8, "Budgets must fund coaching, planning time and substitute coverage year after year, not "
	     "only during the launch of a new initiative." },
	{ 9, "Equity has to be designed in from the start, so that professional learning helps "
	     "educators notice when structures produce different outcomes." },
	{ 10, "We will bring your insights into the revised paper that will be published this fall." },
};
#define NDRAFT ((int)(sizeof(draft) / sizeof(draft[0])))

/* The whole draft as the draft mail shows it, for trailing quotes */
static const char full_draft_text[] =
	"Hello Ana,\n\nHere is the draft for this week's review.\n\n"
	"[1] Draft framing paper for the review week. Please comment on any numbered paragraph.\n\n"
	"[2] Competency-based education asks every student to show mastery before moving on.\n"
	"That promise rests on educators who can design learning around clear competencies.\n\n"
	"[3] Teachers rarely see their own learning modeled in the way they are asked to teach,\n"
	"and workshops chosen by the district remain the norm.\n\n"
	"[4] Calibrating what proficient work looks like requires teachers to score student work\n"
	"together and settle disagreements in the open.\n\n"
	"[5] The teacher's role widens: designers of learning pathways, coaches of student agency\n"
	"and analysts of real-time data about where each student stands.\n\n"
	"[6] Schools can start small: a single grade-level team that calibrates its grading, or a\n"
	"shared protocol for looking at student work.\n\n"
	"[7] Which of these shifts have you seen succeed in your own district, and what made the\n"
	"difference?\n\n"
	"[8] Budgets must fund coaching, planning time and substitute coverage year after year, not\n"
	"only during the launch of a new initiative.\n\n"
	"[9] Equity has to be designed in from the start, so that professional learning helps\n"
	"educators notice when structures produce different outcomes.\n\n"
	"[10] We will bring your insights into the revised paper that will be published this fall.\n";

struct tcase {
	const char *name;
	const char *body;       /* "%DRAFT%" is replaced by full_draft_text, "%QDRAFT%" by it quoted */
	const char *subject;
	int context;
	int has_parent;
	const char *want;       /* "4q,6r": paragraph and how (q r c g p) per comment */
	const char *contains;   /* a phrase per comment, " || " between */
	const char *excludes;   /* a phrase in no comment, or NULL */
	const char *touched;    /* paragraphs of the first comment ("4,3"), or NULL */
};

static const struct tcase cases[] = {
	/* ---- quote depths ---- */
	{ "depth 1 quote", "> Calibrating what proficient work looks like requires teachers to score\n"
	  "> student work together and settle disagreements in the open.\n\nWe found trust matters most.\n",
	  NULL, 0, 0, "4q", "trust matters most", "settle disagreements", NULL },
	{ "depth 2 quote (>>)", ">> Budgets must fund coaching, planning time and substitute coverage\n"
	  ">> year after year\n\nTitle II can pay for coaches.\n", NULL, 0, 0, "8q", "Title II", "planning time", NULL },
	{ "depth 3 spaced (> > >)", "> > > Equity has to be designed in from the start, so that professional\n"
	  "> > > learning helps educators notice\n\nAudit reassessment policies.\n", NULL, 0, 0, "9q",
	  "Audit reassessment", "designed in", NULL },
	{ "indented quote markers", " > Schools can start small: a single grade-level team that calibrates\n"
	  " > its grading\n\nStudent-led conferences were our start.\n", NULL, 0, 0, "6q", "Student-led", NULL, NULL },
	{ "interleaved, two quotes", "> Teachers rarely see their own learning modeled in the way they\n> are asked to teach\n\n"
	  "First answer here.\n\n> Which of these shifts have you seen succeed in your own district\n\n"
	  "Second answer here.\n", NULL, 0, 0, "3q,7q", "First answer || Second answer", "asked to teach", NULL },
	{ "quote of a quoted comment is no anchor", "> Agree with Ana, our coaches are overloaded and tired.\n\n"
	  "Same here in our district.\n", NULL, 0, 0, "0g", "Same here", "overloaded", NULL },
	/* ---- attributions in many languages ---- */
	{ "en On ... wrote:", "On Mon, Jul 16, 2018 at 9:14 AM CompetencyWorks TAG <tag@example.org> wrote:\n\n"
	  "> where each student stands\n\nReal-time data is rare.\n", NULL, 0, 0, "5q", "Real-time data is rare",
	  "wrote", NULL },
	{ "en On ... wrote: over two lines", "On Mon, Jul 16, 2018 at 9:14 AM CompetencyWorks TAG <\n"
	  "tag-prof-learning@tags.example.org> wrote:\n\n> not only during the launch of a new initiative\n\n"
	  "Sustained money is the issue.\n", NULL, 0, 0, "8q", "Sustained money", "wrote", NULL },
	{ "de Am ... schrieb ...:", "Am 16.07.2018 um 15:14 schrieb CompetencyWorks TAG:\n"
	  "> Teachers rarely see their own learning modeled\n\nIn Hamburg too.\n", NULL, 0, 0, "3q", "Hamburg",
	  "schrieb", NULL },
	{ "fr Le ... a écrit :", "Le lun. 16 juil. 2018 à 09:14, CompetencyWorks TAG <tag@example.org> a écrit :\n\n"
	  "> a single grade-level team that calibrates its grading\n\nOui, commencer petit.\n", NULL, 0, 0, "6q",
	  "commencer petit", "a écrit", NULL },
	{ "es El ... escribió:", "El 16/07/2018 9:14, CompetencyWorks TAG <tag@example.org> escribió:\n"
	  "> coaches of student agency and analysts of real-time data\n\nMuy difícil de observar.\n", NULL, 0, 0,
	  "5q", "difícil", "escribió", NULL },
	{ "nl Op ... schreef ... het volgende:", "Op 16 jul. 2018 om 15:14 schreef CompetencyWorks TAG het volgende:\n"
	  "> score student work together and settle disagreements in the open\n\nVertrouwen eerst.\n", NULL, 0, 0,
	  "4q", "Vertrouwen", "schreef", NULL },
	{ "it Il ... ha scritto:", "Il giorno lun 16 lug 2018 alle ore 15:14 CompetencyWorks TAG <tag@example.org> ha scritto:\n"
	  "> published this fall\n\nSpero presto.\n", NULL, 0, 0, "10q", "Spero presto", "scritto", NULL },
	{ "pl W dniu ... pisze:", "W dniu 16.07.2018 o 15:14, CompetencyWorks TAG pisze:\n"
	  "> Equity has to be designed in from the start\n\nZgadzam się.\n", NULL, 0, 0, "9q", "Zgadzam", "pisze", NULL },
	{ "sv ... skrev:", "Den 16 juli 2018 15:14 skrev CompetencyWorks TAG <tag@example.org>:\n"
	  "> Budgets must fund coaching, planning time\n\nBudgeten styr.\n", NULL, 0, 0, "8q", "Budgeten", "skrev", NULL },
	{ "pt Em ... escreveu:", "Em seg., 16 de jul. de 2018 às 09:14, CompetencyWorks TAG <tag@example.org> escreveu:\n"
	  "> show mastery before moving on\n\nConcordo.\n", NULL, 0, 0, "2q", "Concordo", "escreveu", NULL },
	{ "zh 写道", "在 2018年7月16日，下午3:14，CompetencyWorks TAG <tag@example.org> 写道：\n"
	  "> which of these shifts have you seen succeed\n\n同意。\n", NULL, 0, 0, "7q", "同意", "写道", NULL },
	{ "weak attribution over a quote", "Ana wrote:\n> a shared protocol for looking at student work\n\n"
	  "We use the tuning protocol.\n", NULL, 0, 0, "6q", "tuning protocol", "Ana wrote", NULL },
	{ "weak 'wrote:' in prose is text", "This is what I wrote:\nthe budget line matters most.\n", NULL, 0, 0,
	  "0g", "budget line", NULL, NULL },
	/* ---- top-posting over unmarked quotes ---- */
	{ "Outlook block, trailing draft dropped", "The state role is thin overall.\n\n"
	  "From: CompetencyWorks TAG <tag@example.org>\nSent: Monday, July 16, 2018 8:14 AM\n"
	  "To: Ana Ruiz <ana@example.org>\nSubject: Draft for comment\n\n%DRAFT%", NULL, 0, 0, "0g",
	  "state role is thin", "Competency-based education asks", NULL },
	{ "Outlook block under underscores", "General thought first.\n\n________________________________\n"
	  "From: CompetencyWorks TAG <tag@example.org>\nSent: Monday, July 16, 2018 7:14:03 AM\n"
	  "To: Wei Chen\nSubject: Draft for comment\n\n%DRAFT%", NULL, 0, 0, "0g", "General thought",
	  "From:", NULL },
	{ "Outlook block in German", "¶8: Die Schulämter zahlen keine Vertretung.\n\n"
	  "Von: CompetencyWorks TAG <tag@example.org>\nGesendet: Montag, 16. Juli 2018 14:14\n"
	  "An: Elin\nBetreff: Draft for comment\n\n%DRAFT%", NULL, 0, 0, "8r", "Vertretung", "Gesendet", NULL },
	{ "Outlook block in French", "¶6 : commencer petit, oui.\n\nDe : CompetencyWorks TAG <tag@example.org>\n"
	  "Envoyé : lundi 16 juillet 2018 14:14\nÀ : Farah\nObjet : Draft for comment\n\n%DRAFT%", NULL, 0, 0,
	  "6r", "commencer petit", "Envoyé", NULL },
	{ "bold Outlook block", "Short general remark.\n\n*From:* CompetencyWorks TAG [mailto:tag@example.org]\n"
	  "*Sent:* Monday, July 16, 2018 8:14 AM\n*To:* Ana\n*Subject:* Draft\n\n%DRAFT%", NULL, 0, 0, "0g",
	  "general remark", "mailto", NULL },
	{ "-----Original Message-----", "Para 5 - data literacy first.\n\n-----Original Message-----\n"
	  "From: CompetencyWorks TAG [mailto:tag@example.org]\nSent: Monday, July 16, 2018 7:14 AM\n\n%DRAFT%",
	  NULL, 0, 0, "5r", "data literacy", "Original Message", NULL },
	{ "Yahoo unmarked attribution", " paragraph 9: audit who gets to retake.\n \n Farah Haddad\n"
	  " Teacher-Leader, Northside Academy\n\n    On Monday, July 16, 2018, 9:14:03 AM EDT, CompetencyWorks TAG "
	  "<tag@example.org> wrote:  \n \n%DRAFT%", NULL, 0, 0, "9r", "audit who gets to retake",
	  "Northside Academy", NULL },
	{ "Android original message", "Para 2 - mastery is not a gate.\n\nSent from my Samsung Galaxy smartphone.\n\n"
	  "-------- Original message --------\nFrom: CompetencyWorks TAG <tag@example.org>\n"
	  "Date: 7/16/18 7:14 AM (GMT-06:00)\nTo: Wei\nSubject: Draft\n\n%DRAFT%", NULL, 0, 0, "2r",
	  "not a gate", "Samsung", NULL },
	{ "full quoted draft under top-post", "Good morning,\n\nOverall strong; add vignettes.\n\nBest,\nAna\n\n"
	  "On Mon, Jul 16, 2018 at 8:14 AM CompetencyWorks TAG <tag@example.org> wrote:\n%QDRAFT%",
	  NULL, 0, 0, "0g", "add vignettes", "Calibrating", NULL },
	{ "bottom-post under the full quoted draft", "On Mon, Jul 16, 2018 at 8:14 AM TAG <tag@example.org> wrote:\n"
	  "%QDRAFT%\nAll of it reads well to me.\n", NULL, 0, 0, "0g", "reads well", "Calibrating", NULL },
	{ "untrimmed draft with answers typed in", "On Mon, Jul 16, 2018 at 8:14 AM TAG <tag@example.org> wrote:\n"
	  "%QDRAFT3%\nAnswer under three.\n\n%QDRAFT4-7%\nAnswer under seven.\n\n%QDRAFT8-%\n", NULL, 0, 0,
	  "3q,7q", "Answer under three || Answer under seven", "Calibrating", NULL },
	/* ---- forwards ---- */
	{ "forwarded message after comment", "Forwarding a colleague's note, see ¶4.\n\n"
	  "---------- Forwarded message ---------\nFrom: Bob <bob@example.org>\nDate: Mon, Jul 16, 2018\n"
	  "Subject: calibration\nTo: Ana <ana@example.org>\n\nWe never calibrate in the open.\n", NULL, 0, 0, "4r",
	  "Forwarding a colleague", "never calibrate", NULL },
	{ "Apple forward", "FYI, on the budget paragraph.\n\nBegin forwarded message:\n\nFrom: Bob <bob@example.org>\n"
	  "Subject: subs\nDate: 16 July 2018\nTo: Dmitri\n\nSubs cost too much.\n", NULL, 0, 0, "0g",
	  "budget paragraph", "Subs cost", NULL },
	/* ---- tolerant matching ---- */
	{ "re-wrapped quote", "> Calibrating what\n> proficient work looks like requires\n> teachers to score student work together and\n"
	  "> settle\n> disagreements in the open.\n\nRe-wrapped still matches.\n", NULL, 0, 0, "4q", "Re-wrapped", NULL, NULL },
	{ "smart quotes and lost punctuation", "> The teacher's role widens designers of learning pathways coaches of student agency\n\n"
	  "Straight apostrophe, no commas.\n", NULL, 0, 0, "5q", "Straight apostrophe", NULL, NULL },
	{ "changed case and dashes", "> COMPETENCY BASED EDUCATION ASKS EVERY STUDENT TO SHOW MASTERY\n\nShouting quote.\n",
	  NULL, 0, 0, "2q", "Shouting", NULL, NULL },
	{ "fragment of a sentence", "> where each student stands.\n\nFragment answer.\n", NULL, 0, 0, "5q", "Fragment answer",
	  NULL, NULL },
	{ "marker left in quote", "> [8] Budgets must fund coaching, planning time and substitute coverage\n\nMarker kept.\n",
	  NULL, 0, 0, "8q", "Marker kept", NULL, NULL },
	{ "pilcrow marker and bullet in quote", "> • ¶6 Schools can start small: a single grade-level team\n\nBullet kept.\n",
	  NULL, 0, 0, "6q", "Bullet kept", NULL, NULL },
	{ "quote spanning two paragraphs: most wins", "> or a shared protocol for looking at student work.\n>\n"
	  "> [7] Which of these shifts have you seen succeed in your own district, and what made the\n"
	  "> difference?\n\nOur Wednesday late-start.\n", NULL, 0, 0, "7q", "Wednesday late-start", "late-start from",
	  "7,6" },
	{ "quote spanning three paragraphs", "> Calibrating what proficient work looks like requires teachers to score student work\n"
	  "> together and settle disagreements in the open.\n>\n> The teacher's role widens: designers of learning pathways,"
	  " coaches of student agency and analysts of real-time data about where each student stands.\n>\n"
	  "> Schools can start small\n\nThree at once.\n", NULL, 0, 0, "5q", "Three at once", NULL, "5,4,6" },
	{ "quoted draft marker only (changed text)", "> [3] Something the author rewrote since.\n\nOn the old text.\n",
	  NULL, 0, 0, "3q", "old text", NULL, NULL },
	/* ---- references ---- */
	{ "¶N: prefix", "¶4: trust first.\n", NULL, 0, 0, "4r", "trust first", "¶4", NULL },
	{ "¶ N with space", "¶ 4 - trust first.\n", NULL, 0, 0, "4r", "trust first", NULL, NULL },
	{ "PN: prefix", "P3: workshops again.\n", NULL, 0, 0, "3r", "workshops again", "P3", NULL },
	{ "para N - prefix", "Para 5 - data literacy.\n", NULL, 0, 0, "5r", "data literacy", "Para 5", NULL },
	{ "paragraph N: prefix", "paragraph 9: equity audits.\n", NULL, 0, 0, "9r", "equity audits", NULL, NULL },
	{ "[N] prefix", "[8] budgets are the lever.\n", NULL, 0, 0, "8r", "budgets are the lever", NULL, NULL },
	{ "Re [N]: prefix", "Re [8]: budgets again.\n", NULL, 0, 0, "8r", "budgets again", "Re [8]", NULL },
	{ "paragraph N opening a paragraph", "Paragraph 6 seems right to me.\n", NULL, 0, 0, "6r", "seems right", NULL,
	  NULL },
	{ "prose reference", "I think the point about budgets in ¶8 needs numbers.\n", NULL, 0, 0, "8r", "needs numbers",
	  NULL, NULL },
	{ "prose reference 'para 5'", "Could you expand para 5 with an example?\n", NULL, 0, 0, "5r", "expand", NULL, NULL },
	{ "reference list", "¶3 and ¶5: both assume coaching.\n", NULL, 0, 0, "3r", "both assume", NULL, "3,5" },
	{ "reference range", "Paras 4-6: calibration chain.\n", NULL, 0, 0, "4r", "calibration chain", NULL, "4,5,6" },
	{ "several ¶N: sections", "Good morning,\n\n¶2: first.\n\n¶7: second,\nover two lines.\n\n¶10: third.\n\n"
	  "Thanks,\nAna\n", NULL, 0, 0, "2r,7r,10r", "first || over two lines || third", "Thanks", NULL },
	{ "sections without blank lines", "¶2: first.\n¶3: second.\n", NULL, 0, 0, "2r,3r", "first || second", NULL, NULL },
	{ "prose ref inside a section stays", "Re [8]: see also [10] for the timing.\n", NULL, 0, 0, "8r",
	  "see also [10]", NULL, NULL },
	{ "number out of range is no reference", "¶44: nothing.\n", NULL, 0, 0, "0g", "nothing", NULL, NULL },
	{ "footnote link is no reference", "Our report is online.\n\n[1] https://example.org/report\n", NULL, 0, 0,
	  "0g", "https://example.org/report", NULL, NULL },
	{ "bullet and parenthesis before the reference", "- ¶2: first.\n\n(¶3) second.\n", NULL, 0, 0, "2r,3r",
	  "first || second", NULL, NULL },
	{ "§N and paraN", "§4: trust.\n\npara5 - data.\n", NULL, 0, 0, "4r,5r", "trust || data", NULL, NULL },
	{ "words before the reference", "Comment on paragraph 7: districts differ.\n\nIn reply to ¶9\n\n"
	  "Audit retakes.\n", NULL, 0, 0, "7r,9r", "districts differ || Audit retakes", NULL, NULL },
	{ "reference ending a wrapped line is a mention", "We built our pilot from what is described in paragraph 6\n"
	  "and it worked.\n", NULL, 0, 0, "6r", "and it worked", NULL, NULL },
	{ "general text before sections", "Overall the structure works.\n\n¶4: trust first.\n", NULL, 0, 0, "0g,4r",
	  "structure works || trust first", NULL, NULL },
	{ "section after a quote", "> Budgets must fund coaching, planning time and substitute coverage\n\n"
	  "Yes.\n\n¶9: and equity.\n", NULL, 0, 0, "8q,9r", "Yes || and equity", NULL, NULL },
	/* ---- context and general ---- */
	{ "general comment", "Overall this is a strong draft.\n", NULL, 0, 0, "0g", "strong draft", NULL, NULL },
	{ "context from +pN", "Coaches of student agency is hardest.\n", NULL, 5, 0, "5c", "hardest", NULL, NULL },
	{ "context beats prose reference", "Unlike ¶2, this one is concrete.\n", NULL, 5, 0, "5c", "concrete", NULL, NULL },
	{ "quote beats context", "> Budgets must fund coaching, planning time and substitute coverage\n\nMoney.\n",
	  NULL, 5, 0, "8q", "Money", NULL, NULL },
	{ "section beats context", "¶9: equity.\n", NULL, 5, 0, "9r", "equity", NULL, NULL },
	{ "subject tag [¶N]", "We tried this.\n", "Re: [¶6] Draft for comment", 0, 0, "6c", "tried this", NULL, NULL },
	{ "subject tag [PN]", "We tried this.\n", "Re: [P7] comment", 0, 0, "7c", "tried this", NULL, NULL },
	{ "context out of range ignored", "Fine.\n", NULL, 99, 0, "0g", "Fine", NULL, NULL },
	{ "reply to a comment", "> Agree with Ana, our coaches are overloaded.\n\nSame at Harbor.\n", NULL, 4, 1,
	  "4p", "Same at Harbor", "overloaded", NULL },
	{ "reply to a comment without context", "Same at Harbor.\n", NULL, 0, 1, "0p", "Same at Harbor", NULL, NULL },
	{ "no new text", "> Budgets must fund coaching\n", NULL, 0, 0, "", "", NULL, NULL },
	{ "empty body", "", NULL, 0, 0, "", "", NULL, NULL },
	/* ---- signatures and sign-offs ---- */
	{ "-- signature", "Short note.\n\n-- \nElin Lindqvist, PhD\nProfessor of Teacher Education\n", NULL, 0, 0, "0g",
	  "Short note", "Professor", NULL },
	{ "sign-off block before attribution", "¶5: data use assumes literacy.\n\nBest,\nElin\n"
	  "Professor of Teacher Education\nState University\n\nOn Mon, Jul 16, 2018 at 9:14 AM TAG <tag@example.org> wrote:\n"
	  "%QDRAFT%", NULL, 0, 0, "5r", "assumes literacy", "Professor", NULL },
	{ "name and contact block", "Overall fine.\n\nAna Ruiz\nInstructional Coach\nOffice of Teaching and Learning\n"
	  "(555) 010-2290\n", NULL, 0, 0, "0g", "Overall fine", "Instructional Coach", NULL },
	{ "closing and first name", "Overall fine.\n\nThanks for pulling this together,\nAna\n", NULL, 0, 0, "0g",
	  "Overall fine", "pulling this together", NULL },
	{ "first name alone", "> where each student stands\n\nAgreed with this.\n\nDmitri\n", NULL, 0, 0, "5q",
	  "Agreed with this", "Dmitri", NULL },
	{ "mobile footer", "¶1: mid-July is tough.\n\nSent from my iPhone\n", NULL, 0, 0, "1r", "mid-July",
	  "iPhone", NULL },
	{ "Yahoo footer", "Paragraph 4 - norms matter.\n\nSent from Yahoo Mail on Android\n", NULL, 0, 0, "4r", "norms",
	  "Yahoo", NULL },
	{ "German mobile footer", "¶4: Normen.\n\nVon meinem iPhone gesendet\n", NULL, 0, 0, "4r", "Normen", "gesendet",
	  NULL },
	{ "disclaimer", "¶6: we did this.\n\nCONFIDENTIALITY NOTICE: This e-mail message is for the sole use of the "
	  "intended recipient(s).\n", NULL, 0, 0, "6r", "we did this", "CONFIDENTIALITY", NULL },
	{ "views-expressed line", "Para 8 - clock hours.\n\nWei\n\nWei Chen | Policy Analyst, State Department\n"
	  "The views expressed here are my own.\n", NULL, 0, 0, "8r", "clock hours", "views expressed", NULL },
	{ "sentence after name is kept", "The point is simple.\nAna Ruiz made it first in our district.\n", NULL, 0, 0,
	  "0g", "Ana Ruiz made it first", NULL, NULL },
	{ "closing word is not a comment", "¶3: good.\n\nCheers!\n", NULL, 0, 0, "3r", "good", "Cheers", NULL },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* expand - the body with %DRAFT% / %QDRAFT% filled in (malloc'd) */
static char *expand(const char *body)
{
	struct buf b;
	buf_init(&b, 0);
	const char *p = body;
	while (*p) {
		if (strncmp(p, "%DRAFT%", 7) == 0) {
			buf_puts(&b, full_draft_text);
			p += 7;
		} else if (strncmp(p, "%QDRAFT", 7) == 0) {
			/* %QDRAFT% whole, %QDRAFTa% up to [a], %QDRAFTa-b% from [a] to [b],
			   %QDRAFTa-% from [a] to the end: quoted with "> " */
			int from = 0, to = 1000;
			const char *q = p + 7;
			if (*q >= '0' && *q <= '9') {
				to = (int)strtol(q, (char **)&q, 10);
				if (*q == '-') {
					from = to;
					q++;
					to = (*q >= '0' && *q <= '9') ? (int)strtol(q, (char **)&q, 10) : 1000;
				}
			}
			const char *s = full_draft_text;
			const char *e = s + strlen(s);
			if (from > 0) {
				char mark[16];
				snprintf(mark, sizeof(mark), "[%d] ", from);
				s = strstr(full_draft_text, mark);
			}
			if (to < 1000) {
				char mark[16];
				snprintf(mark, sizeof(mark), "[%d] ", to + 1);
				const char *t = strstr(full_draft_text, mark);
				if (t)
					e = t;
			}
			while (s && s < e && *s) {
				const char *nl = strchr(s, '\n');
				size_t l = nl ? (size_t)(nl - s) : strlen(s);
				buf_puts(&b, l ? "> " : ">");
				buf_append(&b, s, l);
				buf_putc(&b, '\n');
				s += l + (nl ? 1 : 0);
			}
			p = strchr(q, '%') + 1;
		} else {
			buf_putc(&b, *p++);
		}
	}
	return buf_steal(&b, NULL);
}

static char how_letter(int how)
{
	switch (how) {
	case THREAD_QUOTE: return 'q';
	case THREAD_REFERENCE: return 'r';
	case THREAD_CONTEXT: return 'c';
	case THREAD_GENERAL: return 'g';
	case THREAD_PARENT: return 'p';
	}
	return '?';
}

static void run_case(const struct tcase *c, const struct thread_index *idx)
{
	char label[160];
	snprintf(label, sizeof(label), "%s%s", c->name, idx ? " [shared index]" : "");
	char *body = expand(c->body);
	struct thread_input in = { 0 };
	in.body = body;
	in.subject = c->subject;
	in.paras = draft;
	in.nparas = NDRAFT;
	in.index = idx;
	in.context_paragraph = c->context;
	in.has_parent = c->has_parent;
	struct thread_result r;
	is_int(thread_extract(&in, &r), 0, "%s: extract", label);
	struct buf got;
	buf_init(&got, 0);
	for (int i = 0; i < r.ncomments; i++)
		buf_printf(&got, "%s%d%c", i ? "," : "", r.comments[i].paragraph, how_letter(r.comments[i].how));
	is_str(buf_cstr(&got), c->want, "%s: paragraphs", label);
	/* each contains phrase in its comment, in order */
	const char *ph = c->contains;
	for (int i = 0; ph && *ph; i++) {
		const char *sep = strstr(ph, " || ");
		size_t l = sep ? (size_t)(sep - ph) : strlen(ph);
		char *want = xmemdup0(ph, l);
		int found = i < r.ncomments && strstr(r.comments[i].text, want) != NULL;
		ok(found, "%s: comment %d contains \"%s\"", label, i + 1, want);
		if (!found && i < r.ncomments)
			diag("text: %s", r.comments[i].text);
		free(want);
		ph = sep ? sep + 4 : NULL;
	}
	if (c->excludes) {
		int bad = 0;
		for (int i = 0; i < r.ncomments; i++)
			if (strstr(r.comments[i].text, c->excludes))
				bad = 1;
		ok(!bad, "%s: no comment contains \"%s\"", label, c->excludes);
		for (int i = 0; bad && i < r.ncomments; i++)
			diag("text %d: %s", i + 1, r.comments[i].text);
	}
	if (c->touched && r.ncomments > 0) {
		struct buf t;
		buf_init(&t, 0);
		for (int k = 0; k < r.comments[0].nparagraphs; k++)
			buf_printf(&t, "%s%d", k ? "," : "", r.comments[0].paragraphs[k]);
		is_str(buf_cstr(&t), c->touched, "%s: paragraphs touched", label);
		buf_free(&t);
	}
	/* a quote anchor comes with its quoted text; others have none */
	for (int i = 0; i < r.ncomments; i++) {
		if (r.comments[i].how == THREAD_QUOTE && !r.comments[i].anchor)
			ok(0, "%s: comment %d has an anchor", label, i + 1);
		if (r.comments[i].how == THREAD_GENERAL && r.comments[i].paragraph != 0)
			ok(0, "%s: a general comment is on paragraph 0", label);
	}
	buf_free(&got);
	thread_result_free(&r);
	free(body);
}

/* kinds - the segment kinds of body, as letters: n q a f, depth after q */
static char *kinds(const char *body)
{
	struct segment *s = NULL;
	int n = 0;
	quote_segments(body, &s, &n);
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < n; i++) {
		char k = s[i].kind == SEG_NEW ? 'n' : s[i].kind == SEG_QUOTE ? 'q' :
			 s[i].kind == SEG_ATTRIBUTION ? 'a' : 'f';
		if (s[i].kind == SEG_QUOTE)
			buf_printf(&b, "%s%c%d%s", i ? " " : "", k, s[i].depth, s[i].unmarked ? "u" : "");
		else
			buf_printf(&b, "%s%c", i ? " " : "", k);
	}
	quote_segments_free(&s, n);
	return buf_steal(&b, NULL);
}

static void test_segments(void)
{
	static const struct { const char *body, *want; } t[] = {
		{ "", "" },
		{ "hello\n", "n" },
		{ "hi\n\nOn Mon, Jan 1, 2018 at 9:00 AM Bob <b@x.org> wrote:\n> a\n>> b\n> c\n\nreply\n", "n a q1 q2 q1 n" },
		{ "> > a\n>\n> > b\n", "q2" },
		{ "top\n\nFrom: A <a@x.org>\nSent: Monday\nTo: B\nSubject: s\n\nold text\n> older\n", "n a q1u q2u" },
		{ "top\n\n-----Original Message-----\nFrom: A\nSent: Monday\n\nold\n", "n a q1u" },
		{ "fyi\n\n---------- Forwarded message ---------\nFrom: A <a@x.org>\nDate: Mon\nSubject: s\nTo: B\n\nbody\n",
		  "n f q1u" },
		{ "reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi\n", "n a q1" },
		{ "Test reply\n\n---- John Smith wrote ----\n\n> quoted\n", "n a q1" },
		{ "Thanks.\n\nAm 25.06.2015 um 10:55 schrieb Test user:\n\nprevious mail\n", "n a q1u" },
		{ "On Nov 26, 2013 you wrote:\n\nno text above: this is mine\n", "a n" },
		{ "line one\nOn the other hand: nothing\n", "n" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *k = kinds(t[i].body);
		is_str(k, t[i].want, "segments of body %zu", i);
		free(k);
	}
	struct segment *s = NULL;
	int n = 0;
	quote_segments("new\n\n> q1\n> q2\n", &s, &n);
	is_int(n, 2, "two segments");
	if (n == 2) {
		is_str(s[1].text, "q1\nq2\n", "quote markers removed");
		is_int(s[1].line, 3, "quote starts on line 3");
		is_int(s[1].nlines, 2, "quote covers 2 lines");
	}
	quote_segments_free(&s, n);
	ok(s == NULL, "quote_segments_free sets NULL");
	quote_segments_free(&s, 0);
	is_str(seg_kind_name(SEG_FORWARD_HEADER), "forward-header", "seg_kind_name");
}

static void test_reply_new_text(void)
{
	static const struct { const char *body, *want; } t[] = {
		{ "Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek Kona wrote:\n> Hi folks\n\nYou can list.\n", "Hi,\nYou can list." },
		{ "Here is another email\n\nSent from my iPhone\n", "Here is another email" },
		{ "Here is another email\n\nSent from my desk, is much easier then my mobile phone.\n",
		  "Here is another email\n\nSent from my desk, is much easier then my mobile phone." },
		{ "Test reply\n\nOn 04/19/2011 07:10 AM, Roman Tkachenko wrote:\n\n>\n> Test\n\nRegards, Roman",
		  "Test reply\n\nRegards, Roman" },
		{ "Mal sehen\n\n--\nMit lieben Grüßen\n\nJohn Doe\n", "Mal sehen" },
		{ "code:\n```\n####\n--\n```\nend\n", "code:\n```\n####\n--\n```\nend" },
		{ "text   \nmore\t\n", "text\nmore" },
		{ "Reply\n\n## Please reply above this line ##\n\nold stuff\n", "Reply" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out;
		buf_init(&out, 0);
		reply_new_text(t[i].body, &out);
		is_str(buf_cstr(&out), t[i].want, "reply_new_text %zu", i);
		buf_free(&out);
	}
	/* a small cap: the result is cut, marked overflowed, never a crash */
	struct buf small;
	buf_init(&small, 8);
	reply_new_text("This is longer than eight bytes.\n", &small);
	ok(small.overflowed && small.len <= 8, "reply_new_text respects the buffer cap");
	buf_free(&small);
}

static void test_signoff(void)
{
	static const struct { const char *text; int mode; const char *want; } t[] = {
		{ "Body.\n\nBest,\nElin\nProfessor of Teacher Education\n", SIGNOFF_COMMENT, "Body." },
		{ "Body.\n\nBest,\nElin\nProfessor of Teacher Education\n", SIGNOFF_FOOTER,
		  "Body.\n\nBest,\nElin\nProfessor of Teacher Education" },
		{ "Body.\n\nRegards, Roman\n", SIGNOFF_COMMENT, "Body." },
		{ "Body.\n\nRegards, Roman\n", SIGNOFF_FOOTER, "Body.\n\nRegards, Roman" },
		{ "Body.\n- Funding\n- Time\n", SIGNOFF_COMMENT, "Body.\n- Funding\n- Time" },
		{ "Body.\n\nAgreed\n", SIGNOFF_COMMENT, "Body.\n\nAgreed" },
		{ "Body.\n\n-Abhishek Kona\n", SIGNOFF_COMMENT, "Body." },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = quote_signoff_cut(t[i].text, strlen(t[i].text), (enum signoff_mode)t[i].mode);
		char *got = xmemdup0(t[i].text, n);
		is_str(got, t[i].want, "signoff %zu", i);
		free(got);
	}
	is_int(quote_greeting_len("Good morning,\n\nText", 20), 15, "greeting length");
	is_int(quote_greeting_len("Good point, thanks.\nText", 24), 0, "no greeting");
}

static void test_index_and_limits(void)
{
	/* an index shared by many calls gives what a private one gives */
	struct thread_index *idx = thread_index_new(draft, NDRAFT);
	struct thread_input in = { 0 };
	in.body = "> Budgets must fund coaching, planning time\n\nMoney.\n";
	in.paras = draft;
	in.nparas = NDRAFT;
	struct thread_result a, b;
	thread_extract(&in, &a);
	in.index = idx;
	thread_extract(&in, &b);
	ok(a.ncomments == 1 && b.ncomments == 1 && a.comments[0].paragraph == b.comments[0].paragraph,
	   "shared index gives the same result");
	thread_result_free(&a);
	thread_result_free(&b);
	ok(a.comments == NULL && a.ncomments == 0, "thread_result_free resets");
	thread_index_free(&idx);
	ok(idx == NULL, "thread_index_free sets NULL");
	thread_index_free(&idx);

	/* no paragraphs at all */
	struct thread_index *empty = thread_index_new(NULL, 0);
	struct thread_input e = { 0 };
	e.body = "> something quoted\n\n¶3: text\n";
	e.index = empty;
	thread_extract(&e, &a);
	ok(a.ncomments == 1 && a.comments[0].paragraph == 0, "no draft: everything is general");
	thread_result_free(&a);
	thread_index_free(&empty);

	is_int(thread_extract(NULL, &a), -1, "NULL input refused");
	in.body = NULL;
	in.index = NULL;
	is_int(thread_extract(&in, &a), 0, "NULL body is empty");
	is_int(a.ncomments, 0, "NULL body: no comments");
	thread_result_free(&a);

	/* more sections than THREAD_MAX_COMMENTS: capped, marked, nothing lost */
	struct buf big;
	buf_init(&big, 0);
	for (int i = 0; i < THREAD_MAX_COMMENTS + 50; i++)
		buf_printf(&big, "¶%d: note %d\n", 1 + i % 2, i);
	in.body = buf_cstr(&big);
	thread_extract(&in, &a);
	is_int(a.ncomments, THREAD_MAX_COMMENTS, "comments capped at THREAD_MAX_COMMENTS");
	ok(a.truncated, "capped result is marked truncated");
	ok(a.ncomments > 0 && strstr(a.comments[a.ncomments - 1].text, "note 249") != NULL,
	   "the rest is kept in the last comment");
	thread_result_free(&a);
	buf_free(&big);

	/* a pathological body: one long line, deep quotes, many headers */
	struct buf p;
	buf_init(&p, 0);
	for (int i = 0; i < 20000; i++)
		buf_puts(&p, "On x wrote: ");
	buf_puts(&p, "\n");
	for (int i = 0; i < 200; i++)
		buf_puts(&p, ">");
	buf_puts(&p, " deep\nFrom: a\n");
	in.body = buf_cstr(&p);
	is_int(thread_extract(&in, &a), 0, "pathological body threads");
	thread_result_free(&a);
	buf_free(&p);

	is_str(thread_how_name(THREAD_PARENT), "parent", "thread_how_name");
	is_int(thread_subject_paragraph("Re: [¶7] x", draft, NDRAFT), 7, "subject tag");
	is_int(thread_subject_paragraph("Re: Draft for comment", draft, NDRAFT), 0, "no subject tag");
	is_int(thread_subject_paragraph(NULL, draft, NDRAFT), 0, "NULL subject");
}

int main(void)
{
	struct thread_index *idx = thread_index_new(draft, NDRAFT);
	for (int i = 0; i < NCASES; i++) {
		run_case(&cases[i], NULL);     /* a private index */
		run_case(&cases[i], idx);      /* the shared one */
	}
	thread_index_free(&idx);
	test_segments();
	test_reply_new_text();
	test_signoff();
	test_index_and_limits();
	return done_testing();
}
