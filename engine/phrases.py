"""The words the people-facing views put around the contract's names, beside the glossary.

``engine.glossary`` labels the contract's names (actions, facts, values, topics); this
module holds the rest of what a person reads, in the same :class:`~engine.glossary.Label`
form, so that the command line's views (``policy explain``) and the web desk read one
table and no word has a second copy:

- :data:`PHRASES`: the fixed words of each view, keyed ``<view>:<word>``: ``desk:``
  (the desk's frame, Decide and Compare pages), ``playground:`` (the Playground),
  ``error:`` (the messages of the errors the desk finds itself, by the error's code),
  ``compare:`` (the comparison matrix, markdown, HTML and the desk's Compare page),
  ``cell:`` (the short words inside a matrix cell), ``trace:`` (the traces of one
  request), ``official:`` (the official account of one), ``summary:`` (the summaries
  of the topics the comparison derives), ``question:`` (the requests a derived topic is
  read from). Read them with :func:`phrase`, or a view's whole set with :func:`phrases_of`.
- :data:`SHORT_VALUES`, :data:`SHORT_OUTCOMES`: the short words a matrix cell uses where
  the glossary's label is too long for a column ("comms unit"); any other value reads as
  its glossary label (:func:`value_words`, :func:`outcome_words`).

A word the glossary has (``word:topic``, ``level:should``, ``outcome:deny``) is read from
the glossary, never written here a second time (``tests/test_swedish_views.py`` checks).
- :data:`STEP_WORDS`: short names of the step ids the packs share ("approval"/"godkännande").
- :func:`short_name`: the short form of a municipality's name for a narrow column
  ("Tyresö kommun" → "Tyresö").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping

from engine.glossary import LANGUAGES, Label, _prefixed, label

if TYPE_CHECKING:
    from engine.vocabulary import Vocabulary


# ---- the desk ------------------------------------------------------------------------------

_DESK: Mapping[str, Label] = {
    "desk": Label("Social-media guidelines", "Riktlinjer för sociala medier"),
    "decide": Label("Decide", "Pröva"),
    "compare": Label("Compare", "Jämför"),
    "decide_title": Label("May we do this?", "Får vi göra det här?"),
    "decide_intro": Label(
        "Choose a municipality and what you want to do, answer the questions, and get the "
        "guideline's answer with its reasons and sources.",
        "Välj kommun och vad du vill göra, svara på frågorna och få riktlinjens besked med "
        "skäl och källa."),
    "choose": Label("Choose", "Välj"),
    "show_questions": Label("Show the questions", "Visa frågorna"),
    "decide_button": Label("Decide", "Få besked"),
    "pick": Label("– choose –", "– välj –"),
    "questions": Label("Questions", "Frågor"),
    "at": Label("Day to decide for", "Dag att pröva för"),
    "at_help": Label("Leave empty for today.", "Lämna tomt för i dag."),
    "answer": Label("Answer", "Besked"),
    "decided_for": Label("decided for", "prövat för"),    # the day of an answer
    "permalink": Label("Link to this answer", "Länk till detta besked"),
    "skip": Label("Skip to content", "Hoppa till innehållet"),
    "other_lang": Label("På svenska", "In English"),     # a link to the other language
    "error": Label("The request could not be decided", "Det gick inte att pröva"),
    "compare_error": Label("The comparison could not be made", "Det gick inte att jämföra"),
    # the frame around an error's own message: its code and the part of the request
    "error_code": Label("error code", "felkod"),
    "error_about": Label("about", "gäller"),
    "engine_says": Label("The engine says:", "Regelmotorn säger (på engelska):"),
    "why": Label("Why", "Varför"),
    "what_to_do": Label("What needs doing", "Det här behöver göras"),
    "document_of": Label("under", "enligt"),
    "required": Label("required", "krävs"),
    "compare_title": Label("The municipalities' guidelines compared",
                           "Jämför kommunernas riktlinjer"),
    "compare_intro": Label(
        "Choose municipalities and topics. Choose exactly two municipalities and tick "
        "“differences only” to see where they differ.",
        "Välj kommuner och ämnen. Välj exakt två kommuner och kryssa i ”bara skillnader” "
        "för att se var de skiljer sig."),
    "packs": Label("Municipalities", "Kommuner"),
    "no-page": Label("No such page", "Sidan finns inte"),             # error pages' headings
    "wrong-method": Label("The page cannot be sent that way", "Sidan kan inte skickas så"),
    "needs-token": Label("The service asks for a key", "Tjänsten kräver en nyckel"),
    "back_to_desk": Label("Back to the desk's first page", "Tillbaka till första sidan"),
    "compare_at": Label("Day to compare", "Dag att jämföra"),
    "compare_at_help": Label("Each municipality by the guideline in force that day; empty: "
                             "today.",
                             "Varje kommun med de riktlinjer som gäller den dagen; tomt: "
                             "i dag."),
    "not_in_force": Label("Not shown: {names}, with no guideline in force on {day}.",
                          "Visas inte: {names}, som inte har några riktlinjer som gäller "
                          "{day}."),
    "topics": Label("Topics", "Ämnen"),
    "only_differences": Label("Differences only", "Bara skillnader"),
    "show": Label("Show", "Visa"),
    "no_difference": Label("The chosen municipalities decide alike on the chosen topics.",
                           "De valda kommunerna beslutar lika i de valda ämnena."),
    "two_for_difference": Label(
        "Differences are shown when exactly two municipalities are chosen.",
        "Skillnader visas när exakt två kommuner är valda."),
    "rules": Label("Rules", "Regler"),
    "default_reason": Label("No rule addresses this; the guideline's default applies.",
                            "Ingen regel tar upp detta; riktlinjens standardutfall gäller."),
    "not_served": Label("No rule pack is loaded.", "Inget regelpaket är laddat."),
}

_PLAYGROUND: Mapping[str, Label] = {
    "title": Label("Pack playground", "Lekplats för regelpaket"),
    "intro": Label(
        "Write or change a rule pack and see what policy check says, how the pack's tests "
        "go and what answer a request gets. Nothing is saved on the server.",
        "Skriv eller ändra ett regelpaket och se vad policy check säger, hur paketets "
        "tester går och vilket besked en förfrågan får. Inget sparas på servern."),
    "start": Label("Start from", "Börja från"),
    "blank": Label("a blank pack", "ett tomt paket"),
    "source": Label("The pack's source", "Regelpaketets källtext"),
    "tests": Label("Tests (.tests)", "Tester (.tests)"),
    "request": Label("Request (JSON)", "Förfrågan (JSON)"),
    "run": Label("Check and try", "Kontrollera och pröva"),
    "diagnostics": Label("What policy check says", "Vad policy check säger"),
    "clean": Label("No errors or warnings.", "Inga fel eller varningar."),
    "test_results": Label("Tests", "Tester"),
    "passed": Label("passed", "godkänt"),
    "failed": Label("failed", "underkänt"),
    "decision": Label("Answer", "Besked"),
    "trace": Label("Trace", "Spårning"),
    "error": Label("error", "fel"),           # the severities of a diagnostic
    "warning": Label("warning", "varning"),
    "note": Label("note", "notering"),
    "acknowledged": Label("{n} warnings the pack acknowledges, with its reasons",
                          "{n} varningar som paketet godtar, med dess skäl"),
    "acknowledged_one": Label("1 warning the pack acknowledges, with its reason",
                              "1 varning som paketet godtar, med dess skäl"),
    "stopped": Label("The pack has errors, so its tests were not run and the request was "
                     "not decided: correct the errors above first.",
                     "Paketet har fel, så dess tester kördes inte och förfrågan prövades "
                     "inte: rätta felen ovan först."),
    "tests_stopped": Label("The tests have errors, so none of them was run (as policy test "
                           "runs none): correct the errors above first.",
                           "Testerna har fel, så inget av dem kördes (som policy test inte "
                           "kör något): rätta felen ovan först."),
    "other-pack": Label("The request names the pack '{named}'; the playground decides it by "
                        "the pack in the editor, {pack}.",
                        "Förfrågan anger paketet '{named}'; lekplatsen prövar den mot paketet "
                        "i redigeraren, {pack}."),
    "in_english": Label("The messages of policy check and of the tests are in English.",
                        "Meddelandena från policy check och testerna är på engelska."),
}

#: The messages of the errors the desk finds itself, by their code (the engine's own
#: errors keep their English message, framed in the page's language). ``{limit}``,
#: ``{seconds}``, ``{line}`` and ``{column}`` are filled in by the page.
_ERROR: Mapping[str, Label] = {
    "missing-pack": Label("Choose a municipality.", "Välj en kommun."),
    "missing-action": Label("Choose what you want to do.", "Välj vad du vill göra."),
    "empty-source": Label("The pack's source is empty.", "Regelpaketets källtext är tom."),
    "no-page": Label("There is no page at {path}.", "Det finns ingen sida på {path}."),
    "wrong-method": Label("The page at {path} is not sent that way: follow a link or use "
                          "its form.",
                          "Sidan på {path} skickas inte på det sättet: följ en länk eller "
                          "använd dess formulär."),
    "needs-token": Label("This service answers only those who give it a key (a bearer "
                         "token); ask whoever runs it.",
                         "Den här tjänsten svarar bara den som ger den en nyckel (en "
                         "bearer token); fråga den som driver tjänsten."),
    "form-type": Label("The form was sent in another way than the page sends it: the "
                       "playground takes application/x-www-form-urlencoded.",
                       "Formuläret skickades på ett annat sätt än sidan skickar det: "
                       "lekplatsen tar emot application/x-www-form-urlencoded."),
    "bad-form": Label("The form could not be read: send it from the page, as UTF-8.",
                      "Formuläret gick inte att läsa: skicka det från sidan, som UTF-8."),
    "too-large": Label("The form is larger than the {limit} bytes the playground takes.",
                       "Formuläret är större än de {limit} byte som lekplatsen tar emot."),
    "too-slow": Label("The work took longer than {seconds} seconds and was stopped.",
                      "Arbetet tog längre än {seconds} sekunder och avbröts."),
    "request-not-json": Label("The request is not JSON (line {line}, column {column}).",
                              "Förfrågan är inte JSON (rad {line}, kolumn {column})."),
    "request-unknown-key": Label("The request has keys it cannot have: {keys}. A request "
                                 "has \"action\", \"facts\", \"at\" and \"pack\".",
                                 "Förfrågan har nycklar som den inte kan ha: {keys}. En "
                                 "förfrågan har \"action\", \"facts\", \"at\" och "
                                 "\"pack\"."),
    "request-facts-not-object": Label("The request's \"facts\" must be a JSON object of "
                                      "facts by name.",
                                      "Förfrågans \"facts\" ska vara ett JSON-objekt med "
                                      "uppgifter efter namn."),
    "request-not-object": Label(
        "The request must be a JSON object: {{\"action\": …, \"facts\": {{…}}, \"at\": …}}.",
        "Förfrågan ska vara ett JSON-objekt: "
        "{{\"action\": …, \"facts\": {{…}}, \"at\": …}}."),
    "request-no-action": Label(
        "The request must name its action: {{\"action\": …, \"facts\": {{…}}}}.",
        "Förfrågan ska ange sin aktivitet: {{\"action\": …, \"facts\": {{…}}}}."),
}

# ---- the comparison ------------------------------------------------------------------------

_COMPARE: Mapping[str, Label] = {
    "heading": Label("Guidelines compared, topic by topic ({at})",
                     "Riktlinjerna jämförda, ämne för ämne ({at})"),
    "title": Label("Social-media guidelines compared", "Riktlinjer för sociala medier jämförda"),
    "html_intro": Label(
        "Topic by topic, as the packs decide at {at}. Open a cell for its rules and the "
        "guideline's sections.",
        "Ämne för ämne, som regelpaketen beslutar {at}. Öppna en ruta för dess regler och "
        "riktlinjens avsnitt."),
    "value": Label("value", "värde"),
    "topic_ids": Label("Topic ids, in this order: {ids}.", "Ämnenas id, i denna ordning: {ids}."),
    "footer": Label(
        "not regulated: the guideline says nothing on it. One topic in full, with rules "
        "and sections: policy explain --topic ID",
        "inte reglerat: riktlinjen säger ingenting om det. Ett ämne i sin helhet, med "
        "regler och avsnitt: policy explain --topic ID"),
    "documents": Label("Each column rests on:", "Varje kolumn bygger på:"),
    "decided_at": Label("Decided at {at}. Sources (the guideline's sections):",
                        "Beslutat {at}. Källor (riktlinjens avsnitt):"),
    "derived": Label("Derived from the packs' rules: {question}.",
                     "Härlett ur regelpaketens regler: {question}."),
    "nothing_on_it": Label("The guideline says nothing on this.",
                           "Riktlinjen säger ingenting om detta."),
    "no_section": Label("no section", "inget avsnitt"),
    "says_nothing": Label("the guideline says nothing on this",
                          "riktlinjen säger ingenting om detta"),
    "agree": Label("{a} and {b} agree on every topic.", "{a} och {b} är överens i alla ämnen."),
    "default": Label("default", "standard"),
    "in_force_any_day": Label("in force any day", "gäller alla dagar"),
    "in_force_until": Label("until", "till och med"),
    "part": Label("part", "del"),
}

_CELL: Mapping[str, Label] = {
    "all": Label("all", "alla"),
    "kept": Label("kept:", "behålls:"),
    "for": Label("for:", "för:"),
    "for_all": Label("for all", "för alla"),
    "for_all_but": Label("for all but:", "för alla utom:"),
    "nothing": Label("nothing", "inget"),
}

_TRACE: Mapping[str, Label] = {
    "in_packs": Label("{action} in {n} municipalities ({at})", "{action} i {n} kommuner ({at})"),
    "decided_by": Label("decided by", "avgjort av"),
    "sections": Label("sections", "avsnitt"),
    "by_default": Label("(by default)", "(som standard)"),
    "default_reason": Label("The guideline does not regulate this request; the pack's "
                            "default outcome ({outcome}) applies.",
                            "Riktlinjen reglerar inte den här förfrågan; paketets "
                            "standardutfall ({outcome}) gäller."),
    "not_regulated": Label(" (by default: the guideline does not regulate this)",
                           " (som standard: riktlinjen reglerar inte detta)"),
    "steps_first": Label("Steps to do first:", "Åtgärder att göra först:"),
    "because": Label("Because:", "Eftersom:"),
    "facts_seen": Label(
        "Facts as the rules see them (absent true/false, number and set facts are false, "
        "0 and empty):",
        "Uppgifterna som reglerna ser dem (uppgifter om ja/nej, tal och mängder som saknas "
        "är nej, 0 och tomma):"),
    "rules_of": Label("Rules of {pack} for {action}, in order ({n}):",
                      "Regler i {pack} för {action}, i ordning ({n}):"),
    "no_rule": Label("{pack} has no rule for {action}.", "{pack} har ingen regel för {action}."),
    "combining": Label("Combining: step {step} of 4: {text}",
                       "Sammanvägning: steg {step} av 4: {text}"),
    "rules": Label("rules", "regler"),
    "plugins": Label("Note: other evaluators (plugins) added findings of their own; the "
                     "decision above includes them.",
                     "Obs: andra utvärderare (tillägg) lade till egna utfall; beslutet ovan "
                     "tar med dem."),
    "sources": Label("Sources:", "Källor:"),
    "held": Label("held", "uppfylldes"),
    "not_held": Label("did not hold", "uppfylldes inte"),
    "failed": Label("failed", "inte uppfyllt"),     # the parts of a condition that did not hold
    "missing": Label("missing", "saknas"),           # a fact the request does not give
    "saw": Label("saw", "såg"),
    "no_done": Label("no 'done when': the step stands whenever the rule applies",
                     "inget 'done when': åtgärden står kvar så länge regeln gäller"),
    "deny": Label("matched: denies", "träffar: nekar"),
    "allow": Label("matched: allows", "träffar: tillåter"),
    "unmet": Label("applies, step not done", "gäller, åtgärden inte gjord"),
    "met": Label("applies, step done", "gäller, åtgärden gjord"),
    "step1": Label("a deny rule held, and a deny wins over everything else",
                   "en regel som nekar uppfylldes, och ett nej går före allt annat"),
    "step2": Label("no deny rule held, and a step that applies is not done",
                   "ingen regel som nekar uppfylldes, och en åtgärd som gäller är inte gjord"),
    "step3": Label("no deny rule held and every step that applies is done; an allow rule "
                   "held or a requirement is met",
                   "ingen regel som nekar uppfylldes och varje åtgärd som gäller är gjord; en "
                   "regel som tillåter uppfylldes eller ett krav är uppfyllt"),
    "step4": Label("no rule spoke to the request, so the pack's default ({default}) applies",
                   "ingen regel tog upp det som prövas, så regelpaketets standardutfall "
                   "({default}) gäller"),
}

#: The summaries of the topics the comparison derives from the rules ({x}: the values).
_SUMMARY: Mapping[str, Label] = {
    "removed_only": Label("A comment may be removed only for: {x}.",
                          "En kommentar får tas bort endast för: {x}."),
    "removed_for": Label("A comment may be removed for: {x}.",
                         "En kommentar får tas bort för: {x}."),
    "nothing": Label("nothing", "inget"),
    "nothing_named": Label("nothing named", "inget angivet"),
    "kept": Label(" Kept: {x}.", " Behålls: {x}."),
    "no_steps_before_removal": Label("Nothing needs to be done before a comment is removed.",
                                     "Inget behöver göras innan en kommentar tas bort."),
    "before_removal": Label("Before a comment is removed: {x}.",
                            "Innan en kommentar tas bort: {x}."),
    "not_allowed": Label("Not allowed: {x}", "Inte tillåtet: {x}"),
    "steps": Label("Steps: {x}.", "Åtgärder: {x}."),
    "nothing_first": Label("Nothing needs to be done first.", "Inget behöver göras först."),
}

#: Which requests each derived topic's values are read from (``TopicRow.question``).
_QUESTION: Mapping[str, Label] = {
    "new_channel": Label(
        "a new channel for an organisation account with nothing done yet: the steps listed",
        "en ny kanal för ett organisationskonto där inget är gjort ännu: åtgärderna som "
        "anges"),
    "removal_grounds": Label(
        "removing a comment of each kind with every step done: the kinds a rule allows "
        "removing, and those a rule keeps",
        "att ta bort en kommentar av varje typ när alla åtgärder är gjorda: de typer en "
        "regel tillåter att ta bort, och de en regel behåller"),
    "removal_steps": Label(
        "removing a comment of each kind that may be removed, with nothing done: the steps "
        "listed, and for which kinds",
        "att ta bort en kommentar av varje typ som får tas bort, där inget är gjort: "
        "åtgärderna som anges, och för vilka typer"),
    "image_rights": Label("publishing a post with images from each source: the outcome",
                          "att publicera ett inlägg med bilder från varje källa: utfallet"),
    "private_accounts": Label("using a private account for each purpose: the outcome",
                              "att använda ett privat konto för varje syfte: utfallet"),
    "closing_channel": Label("closing a channel with nothing done: the steps listed",
                             "att avsluta en kanal där inget är gjort: åtgärderna som anges"),
}

#: The official account (``policy explain PACK ACTION --for official``): the answer and
#: the words around it; its first line names the action by the glossary's label.
_OFFICIAL: Mapping[str, Label] = {
    "yes": Label("Yes.", "Ja."),
    "no": Label("No.", "Nej."),
    "no_should": Label("No, it should be avoided.", "Nej, det bör undvikas."),
    "steps": Label("Yes, once the following is done:", "Ja, när följande är gjort:"),
    "why": Label("Why:", "Varför:"),
    "basis": Label("Based on:", "Stöd:"),
    "default_allow": Label(
        "The guideline does not address this, so it does not stand in the way.",
        "Riktlinjen tar inte upp detta, så den hindrar det inte."),
    "default_deny": Label(
        "The guideline does not address this, and without its support the answer is no.",
        "Riktlinjen tar inte upp detta, och utan stöd i den är svaret nej."),
    "no_section": Label("no section; the guideline does not address this",
                        "inget avsnitt; riktlinjen tar inte upp detta"),
    # a citation: "avsnittet ”Gilla andra”, meningarna 1 och 2" (one sentence: the
    # glossary's word:sentence, "mening 2")
    "section_cited": Label("section", "avsnittet"),
    "sections_cited": Label("sections", "avsnitten"),
    "sentences_cited": Label("sentences", "meningarna"),
}


#: Every fixed phrase of the views, by ``<view>:<word>``.
PHRASES: Mapping[str, Label] = {
    **_prefixed("desk", _DESK), **_prefixed("playground", _PLAYGROUND),
    **_prefixed("error", _ERROR),
    **_prefixed("compare", _COMPARE), **_prefixed("cell", _CELL),
    **_prefixed("trace", _TRACE), **_prefixed("official", _OFFICIAL),
    **_prefixed("summary", _SUMMARY), **_prefixed("question", _QUESTION),
}


def phrase(key: str, lang: str) -> str:
    """The phrase ``key`` in ``lang``; a key that is not in :data:`PHRASES` is a mistake
    in the calling view and raises KeyError (never an English word slipping through)."""
    if key not in PHRASES:
        raise KeyError(f"no phrase {key!r}")
    return label(key, lang, PHRASES)


def quoted(text: str, lang: str) -> str:
    """``text`` in the language's quotation marks: ”Swedish”, “English”."""
    return f"\u201d{text}\u201d" if lang == "sv" else f"\u201c{text}\u201d"


def phrases_of(view: str, lang: str) -> dict[str, str]:
    """Every phrase of ``view`` (``desk``, ``playground``…) in ``lang``, by its word."""
    prefix = f"{view}:"
    return {k[len(prefix):]: label(k, lang, PHRASES) for k in PHRASES if k.startswith(prefix)}


# ---- short words in matrix cells -----------------------------------------------------------

#: Short words for enum values (by value id) where a column is too narrow for the
#: glossary's label; a Swedish short word is given only where the glossary's is too long
#: (an empty one: the glossary's label is short enough). A Swedish short word is a word,
#: never an abbreviation ("komm.enheten"): the matrix breaks a word too long for its
#: column with a hyphen where Swedish breaks it.
SHORT_VALUES: Mapping[str, Label] = {
    "central_storage": Label("central storage", "central lagring"),
    "communications_unit": Label("comms unit"),
    "communications_director": Label("comms director"),
    "half_yearly": Label("half-yearly"),
    "yearly": Label("yearly"),
    "breaks_only": Label("breaks only"),
    "incitement_to_crime": Label("incitement", "brottsuppmaning"),
    "copyright_infringement": Label("copyright", "upphovsrätt"),
    "confidential_information": Label("confidential", "sekretess"),
    "off_topic": Label("off-topic"),
    "minor_importance": Label("minor importance", "ringa betydelse"),
    "municipality": Label("municipalities", "kommuner"),
    "political_party": Label("parties", "partier"),
    "own_archive": Label("own archive", "eget bildarkiv"),
    "licensed_agency": Label("licensed agency", "bildbyrå"),
    "creator_consent": Label("creator's consent", "upphovspersonens godkännande"),
    "unlicensed": Label("unlicensed"),
    "official_communication": Label("official use", "i tjänsten"),
    "client_contact": Label("clients", "kunder och brukare"),
    "closed_professional_network": Label("closed networks", "slutna nätverk"),
    "answer_work_question": Label("work questions", "frågor om arbetet"),
}

#: Short words for the outcomes in a matrix cell, in English; in Swedish a cell says an
#: outcome with the glossary's label (``outcome:…``).
SHORT_OUTCOMES: Mapping[str, Label] = {
    "allow": Label("allow"),
    "deny": Label("deny"),
    "required_steps": Label("steps"),
}

#: Short names of the step ids the packs share; any other step reads as its id in words.
#: They shorten how a step is named and never decide which steps a cell lists.
STEP_WORDS: Mapping[str, Label] = {
    "approve-channel": Label("approval", "godkännande"),
    "appoint-responsible": Label("responsible", "ansvarig utsedd"),
    "appoint-substitute": Label("substitute", "ersättare utsedd"),
    "define-purpose": Label("purpose", "syfte beskrivet"),
    "inform-communicator": Label("communicator told", "kommunikatör informerad"),
    "inform-information-officer": Label("information officer told",
                                        "informationsansvarig informerad"),
    "inform-communications-unit": Label("comms unit told", "kommunikationsenhet informerad"),
    "inform-users-of-audience": Label("inform users of audience", "målgruppen informerad"),
    "share-credentials": Label("logins given", "inloggning lämnad"),
    "list-on-website": Label("website list", "förteckning på webben"),
    "follow-graphic-profile": Label("graphic profile", "grafisk profil"),
    "publish-visitor-information": Label("visitor info", "information till besökare"),
    "file-activity-plan": Label("activity plan", "aktivitetsplan"),
    "appoint-two-administrators": Label("two admins", "två administratörer"),
    "apply-via-eservice": Label("e-service application", "ansökan via e-tjänst"),
    "consult-manager": Label("manager consulted", "samråd med chef"),
    "consult-communicator": Label("communicator consulted", "samråd med kommunikatör"),
    "publish-farewell-post": Label("farewell post", "avslutande inlägg"),
    "save-comment-content": Label("save content", "spara innehållet"),
    "save-comment-author": Label("save author", "spara avsändaren"),
    "save-comment": Label("save comment", "spara kommentaren"),
    "save-screenshot": Label("save screenshot", "spara skärmbild"),
    "register-removed": Label("register", "diarieföra"),
    "forward-to-registrar": Label("forward to registrar", "till registrator"),
    "mark-for-secrecy-review": Label("secrecy review", "sekretessprövning"),
    "sign-data-processing-agreement": Label("data processing agreement", "biträdesavtal"),
    "publish-on-website": Label("on the website", "på webbplatsen"),
    "department-head-decision": Label("department head decides",
                                      "beslut av förvaltningschefen"),
}


def _enum_of(value: str, vocabulary: "Vocabulary") -> str | None:
    return next((name for name, t in vocabulary.enums.items()
                 if t.kind == "enum" and value in t.values), None)


def value_words(value: str, lang: str, vocabulary: "Vocabulary") -> str:
    """The short words of an enum value for a matrix cell: :data:`SHORT_VALUES` where it
    has them in ``lang``, else the value's label in the vocabulary (a plugin's value has
    its plugin's label), else the value's id in words."""
    short = SHORT_VALUES.get(value)
    if short is not None and (lang == "en" or short.sv):
        return short.sv if lang == "sv" else short.en
    enum = _enum_of(value, vocabulary)
    if enum is not None:
        return vocabulary.label(f"value:{enum}.{value}", lang)
    return short.en if short is not None else value.replace("_", " ")


def outcome_words(outcome: str, lang: str, vocabulary: "Vocabulary") -> str:
    """An outcome in a matrix cell: short in English ("steps"), the glossary's in Swedish."""
    if lang == "en" and outcome in SHORT_OUTCOMES:
        return SHORT_OUTCOMES[outcome].en
    return vocabulary.label(f"outcome:{outcome}", lang)


def step_words(step_id: str, lang: str, vocabulary: "Vocabulary") -> str:
    """A step's short name; a ``for each`` step (``approve-channel-manager``) names its
    value after a colon."""
    if step_id in STEP_WORDS:
        return label(step_id, lang, STEP_WORDS)
    stem, _, value = step_id.rpartition("-")
    custodians = vocabulary.enums["custodian"].values if "custodian" in vocabulary.enums else ()
    if stem and value in custodians:
        return f"{step_words(stem, lang, vocabulary)}: {value_words(value, lang, vocabulary)}"
    return step_id.replace("-", " ").replace("_", " ")


# ---- a municipality's name -----------------------------------------------------------------

#: What follows a place name in the name of a municipality ("Tyresö kommun", "Borås stad").
_KINDS = ("kommun", "stad")
#: Place names that end in -s of their own (Hagfors, Borås, Bollnäs, Grums), unlike the
#: genitive of "Perstorps kommun".
_OWN_S = re.compile(r"(fors|ås|äs|ös|ums|us|os|as|es|is|ss|x)$", re.IGNORECASE)


def short_name(name: str) -> str:
    """The short form of a municipality's name, for a narrow column: the place.

    "Tyresö kommun" → "Tyresö"; "Perstorps kommun" → "Perstorp" (the genitive -s
    dropped, but not the s of "Hagfors" or "Borås"); "Stockholms stad" → "Stockholm";
    "Region Skåne" stays as it is (the region is not its place), as does any name that is
    not "<place> kommun" or "<place> stad".
    """
    words = name.split()
    if len(words) < 2 or words[-1].lower() not in _KINDS:
        return name
    place = " ".join(words[:-1])
    if place.endswith("s") and not _OWN_S.search(place):
        place = place[:-1]
    return place or name


__all__ = ["LANGUAGES", "PHRASES", "SHORT_OUTCOMES", "SHORT_VALUES", "STEP_WORDS",
           "outcome_words", "phrase", "phrases_of", "quoted", "short_name", "step_words", "value_words"]
