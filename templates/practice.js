/* The self-check page (examgen practice): variant switch, answer checks, solutions.
 *
 * The check follows the answer types of generator.answers (each field's `compare` names the
 * method; the reading rules, function names, constants and edge slack come from Python as
 * JSON in the page, #examgen-rules):
 *   "close" (reals, vectors, matrices): |r - v| <= atol + rtol |v| per entry, bounds inclusive
 *     with the slack RULES.slack * max(1, bound, |v|), so that a value typed at the edge is right;
 *   "whole" (int and shape): exactly equal (46 and 46.0 are equal numbers);
 *   "word" (choice, bool, each entry of bools): equal ignoring case and surrounding spaces;
 *   "letters" (a field asked as options, generator.answers.choice): the marked radio buttons or
 *     checkboxes, scored by the spec's rule; a wrong option marked names its mistake;
 *   "formula" (expr): both formulas evaluated at RULES.points pseudo-random points of their
 *     names (either sign, generator.answers.reading.comparison_points); equal when they agree
 *     there to 1e-6 relative (O(f) and O(g) up to a constant factor), as the grader does.
 * A field's key may list alternatives (another convention, accepted in full): the verdict names it;
 * an answer equal to a declared mistake's value is wrong, and the verdict names the likely mistake.
 * Each variant's checks (key values, tolerances, mistakes, points) are JSON obfuscated by
 * generator.practice.obfuscate (XOR with the page's key, base64): not readable at a glance in the
 * source, not a secret. Points are grade's: a field right as a whole gets its share of the part; a
 * field scored entry by entry (`partial`: vectors, matrices, lists of bools) its share times the
 * entries right / entries; a total per problem and per variant.
 * Answers and verdicts are kept in localStorage (per page and seed); a site page also records
 * its progress for the site's index. Variants not in the page are loaded from script files
 * (window.examgenVariant), which works from file:// too.
 * Numbers follow the grader's rule (generator.answers.reading): 0.75, 3/4, sqrt(2)/2, 1e-3, 2^10,
 * 5,133,600 and 1 234; 1,5 and 2 3 are refused. Plain JavaScript, nothing from the network.
 */
(function () {
  "use strict";

  var PAGE = JSON.parse(document.getElementById("examgen-page").textContent);
  var CHECKS = {};
  var RULES = JSON.parse(document.getElementById("examgen-rules").textContent);
  var EDGE_SLACK = RULES.slack;
  // The page's fixed strings in its language (generator.practice.page_strings: every T() string of
  // this file, translated by the catalog); a string the table lacks is itself.
  var STRINGS = PAGE.strings || {};
  function T(text) { return Object.prototype.hasOwnProperty.call(STRINGS, text) ? STRINGS[text] : text; }

  // ------------------------------------------------------------ formulas

  // Implementations only: which names are allowed is RULES.functions (from Python).
  var IMPLEMENTATIONS = {
    sqrt: Math.sqrt, exp: Math.exp, log: function (x, b) { return b === undefined ? Math.log(x) : Math.log(x) / Math.log(b); },
    ln: Math.log, sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh, sinh: Math.sinh,
    cosh: Math.cosh, asin: Math.asin, acos: Math.acos, atan: Math.atan, abs: Math.abs, Abs: Math.abs,
    sign: Math.sign, max: Math.max, Max: Math.max, min: Math.min, Min: Math.min,
    sigmoid: function (x) { return 1 / (1 + Math.exp(-x)); },
    sigma: function (x) { return 1 / (1 + Math.exp(-x)); },
    logit: function (p) { return Math.log(p / (1 - p)); }
  };
  var FUNCTIONS = {};
  RULES.functions.forEach(function (name) {
    if (!IMPLEMENTATIONS[name]) { throw new Error("no implementation of the function " + name); }
    FUNCTIONS[name] = IMPLEMENTATIONS[name];
  });
  var OPAQUE = {};
  RULES.opaque.forEach(function (name) { OPAQUE[name] = true; });
  var CONSTANTS = RULES.constants;
  var ALIASES = RULES.aliases;
  function has(table, key) { return Object.prototype.hasOwnProperty.call(table, key); }

  function tokenize(text) {
    var tokens = [], pattern = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*\/^(),]))/y;
    var at = 0, match;
    text = text.replace(/\s+$/, "");
    while (at < text.length) {
      pattern.lastIndex = at;
      match = pattern.exec(text);
      if (!match) { throw new Error("cannot read '" + text.slice(at) + "'"); }
      if (match[1] !== undefined) { tokens.push({ kind: "num", value: parseFloat(match[1]) }); }
      else if (match[2] !== undefined) { tokens.push({ kind: "name", value: has(ALIASES, match[2]) ? ALIASES[match[2]] : match[2] }); }
      else { tokens.push({ kind: "op", value: match[3] === "^" ? "**" : match[3] }); }
      at = pattern.lastIndex;
    }
    return tokens;
  }

  // expr := term (+|- term)* ; term := unary ((*|/|implicit) unary)* ; unary := (+|-) unary | power
  // power := primary (** unary)? ; primary := number | name | name(args) | (expr)
  function parse(text) {
    text = String(text).replace(/[\u2009\u202f\u00a0]/g, " ").replace(/\u2212/g, "-").trim();
    if (text.length > RULES.max_length) { throw new Error("too long"); }
    var depth = 0;
    for (var c = 0; c < text.length; c++) {
      depth += (text[c] === "(" ? 1 : 0) - (text[c] === ")" ? 1 : 0);
      if (depth > RULES.max_depth) { throw new Error("nested too deeply"); }
    }
    var tokens = tokenize(text), i = 0;
    function peek(value) { return i < tokens.length && tokens[i].kind === "op" && tokens[i].value === value; }
    function expect(value) { if (!peek(value)) { throw new Error("expected " + value); } i += 1; }
    function startsPrimary() {   // an implicit product: 2 lam, 2(x + 1); never two numbers
      if (i < tokens.length && tokens[i].kind === "num") { throw new Error("two numbers side by side"); }
      return i < tokens.length && (tokens[i].kind === "name" || tokens[i].value === "(");
    }
    function expr() {
      var node = term();
      while (peek("+") || peek("-")) { var op = tokens[i++].value; node = [op, node, term()]; }
      return node;
    }
    function term() {
      var node = unary();
      for (;;) {
        if (peek("*") || peek("/")) { var op = tokens[i++].value; node = [op, node, unary()]; }
        else if (startsPrimary()) { node = ["*", node, unary()]; }
        else { return node; }
      }
    }
    function unary() {
      if (peek("-")) { i += 1; return ["neg", unary()]; }
      if (peek("+")) { i += 1; return unary(); }
      return power();
    }
    function power() {
      var base = primary();
      if (peek("**")) { i += 1; return ["**", base, unary()]; }
      return base;
    }
    function primary() {
      if (i >= tokens.length) { throw new Error("unexpected end"); }
      var token = tokens[i++];
      if (token.kind === "num") { return ["num", token.value]; }
      if (token.kind === "name") {
        if (peek("(")) {
          i += 1;
          var args = [expr()];
          while (peek(",")) { i += 1; args.push(expr()); }
          expect(")");
          if (!has(FUNCTIONS, token.value) && !has(OPAQUE, token.value)) { throw new Error("unknown function " + token.value); }
          return ["call", token.value, args];
        }
        return ["name", token.value];
      }
      if (token.value === "(") { var inner = expr(); expect(")"); return inner; }
      throw new Error("unexpected " + token.value);
    }
    var tree = expr();
    if (i !== tokens.length) { throw new Error("unexpected " + tokens[i].value); }
    return tree;
  }

  // An opaque function (O(...), say) is an arbitrary but fixed function of its arguments,
  // so that f(a) and f(b) agree only when a and b do.
  function opaque(name, args) {
    var h = 7;
    for (var k = 0; k < name.length; k++) { h = (h * 31 + name.charCodeAt(k)) % 1000003; }
    var a = 0.5 + (h % 1000) / 1000, total = 0;
    for (var j = 0; j < args.length; j++) { total += Math.sin(a * (j + 1) * args[j] + a) + a * args[j]; }
    return total;
  }

  function evaluate(node, env) {
    switch (node[0]) {
      case "num": return node[1];
      case "neg": return -evaluate(node[1], env);
      case "+": return evaluate(node[1], env) + evaluate(node[2], env);
      case "-": return evaluate(node[1], env) - evaluate(node[2], env);
      case "*": return evaluate(node[1], env) * evaluate(node[2], env);
      case "/": return evaluate(node[1], env) / evaluate(node[2], env);
      case "**": return Math.pow(evaluate(node[1], env), evaluate(node[2], env));
      case "name":
        if (Object.prototype.hasOwnProperty.call(env, node[1])) { return env[node[1]]; }
        if (has(CONSTANTS, node[1])) { return CONSTANTS[node[1]]; }
        throw new Error("unknown name " + node[1]);
      case "call":
        var args = node[2].map(function (arg) { return evaluate(arg, env); });
        if (has(FUNCTIONS, node[1])) { return FUNCTIONS[node[1]].apply(null, args); }
        return opaque(node[1], args);
    }
    throw new Error("bad formula");
  }

  function names(node, out) {
    if (node[0] === "name" && !Object.prototype.hasOwnProperty.call(CONSTANTS, node[1])) { out[node[1]] = true; }
    for (var k = 1; k < node.length; k++) {
      if (Array.isArray(node[k])) {
        if (node[0] === "call" && k === 2) { node[k].forEach(function (a) { names(a, out); }); }
        else { names(node[k], out); }
      }
    }
    return out;
  }

  // A number typed by a student, by the grader's rule (generator.answers.reading): plain decimals,
  // thousands in groups of three (5,133,600; 1 234; 1,500 only for whole numbers), formulas of
  // numbers (3/4, sqrt(2)/2, 2^10, e); a decimal comma (1,5) or several numbers (2 3) are refused.
  var PLAIN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var COMMAS = /^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/;
  var SPACES = /^[+-]?\d{1,3}( \d{3})+(\.\d*)?$/;
  var SEVERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(\s+[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)+$/;
  // A decimal comma (PAGE.decimal ","), rewritten to a point as generator.answers.reading.delocalise
  // does: 0,25 and 1.000,5; a lone 1.000 is ambiguous; ";" separates entries.
  var LOCAL_NUMBER = /(^|[^\w.,])(\d{1,3}(?:\.\d{3})+|\d+)(,\d+)?(?![\d.,])/g;
  function delocalise(text) {
    if (PAGE.decimal !== ",") { return text; }
    return String(text).replace(LOCAL_NUMBER, function (all, before, whole, fraction) {
      if (whole.indexOf(".") >= 0 && whole.charAt(0) !== "0") {
        if (!fraction && whole.split(".").length === 2) { throw new Error(T("one point could mean a decimal comma or thousands: write 1,5 or 1500")); }
        whole = whole.replace(/\./g, "");
      }
      return before + whole + (fraction ? "." + fraction.slice(1) : "");
    }).replace(/;/g, ",");
  }
  function readNumber(text, whole) {
    var t = delocalise(String(text).replace(/[\u2009\u202f\u00a0]/g, " ").replace(/\u2212/g, "-").trim());
    if (t === "") { return null; }
    if (COMMAS.test(t)) {
      if (t.split(",").length === 2 && t.indexOf(".") < 0 && !whole) { throw new Error(T("one comma could mean a decimal point or thousands: write 1.5 or 1500")); }
      t = t.replace(/,/g, "");
    } else if (SPACES.test(t)) { t = t.replace(/ /g, ""); }
    if (PLAIN.test(t)) { return parseFloat(t); }
    if (t.indexOf(",") >= 0) { throw new Error(T("a comma: write decimals with a point")); }
    if (/\d*\.\d*\./.test(t)) { throw new Error(T("two decimal points")); }
    if (SEVERAL.test(t)) { throw new Error(T("several numbers: write one")); }
    var value = evaluate(parse(t), {});
    if (typeof value !== "number" || !isFinite(value)) { throw new Error(T("not a number")); }
    return value;
  }

  // ------------------------------------------------------------ comparisons

  function close(expected, given, atol, rtol) {
    if (!(isFinite(expected) && isFinite(given))) { return expected === given; }
    var bound = atol + rtol * Math.abs(expected);
    return Math.abs(given - expected) <= bound + EDGE_SLACK * Math.max(1, bound, Math.abs(expected));
  }

  function pseudoRandom(seed) {
    var state = seed >>> 0;
    return function () { state = (Math.imul(state, 1664525) + 1013904223) >>> 0; return state / 4294967296; };
  }

  // The comparison points of generator.answers.reading.comparison_points: the same generator,
  // the same draws, so the page and `grade` agree on every formula.
  function comparisonPoints(order) {
    var random = pseudoRandom(RULES.seed);
    return function () {
      var env = {};
      order.forEach(function (n) {
        var size = RULES.low + (RULES.high - RULES.low) * random();
        env[n] = random() < RULES.negative ? -size : size;
      });
      return env;
    };
  }

  function orderArgument(tree) {   // f of O(f), an order of growth (equal up to a constant factor)
    return tree[0] === "call" && RULES.orders.indexOf(tree[1]) >= 0 && tree[2].length === 1 ? tree[2][0] : null;
  }

  function agree(x, y) { return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y)); }

  function sameExpression(expected, given, symbols) {
    if (expected.replace(/\s+/g, "") === given.replace(/\s+/g, "")) { return true; }
    var a = parse(expected), b = parse(given);
    var allowed = names(a, {});
    symbols.forEach(function (s) { allowed[s] = true; });
    var order = Object.keys(allowed).sort();
    Object.keys(names(b, {})).forEach(function (n) {
      if (!allowed[n] && !has(CONSTANTS, n)) {
        throw new Error("uses the unknown name '" + n + "' (use " + (order.join(", ") || "numbers only") + ")");
      }
    });
    var fa = orderArgument(a), fb = orderArgument(b), growth = fa !== null && fb !== null;
    if (growth) { a = fa; b = fb; }
    var point = comparisonPoints(order), agreed = 0, ratio = null;
    for (var k = 0; k < 60 && agreed < RULES.points; k++) {
      var env = point();
      var x = evaluate(a, env), y = evaluate(b, env);
      if (!isFinite(x)) { continue; }
      if (growth) {
        if (x === 0 || !isFinite(y) || y / x <= 0) { return false; }
        if (ratio === null) { ratio = y / x; }
        if (!agree(ratio, y / x)) { return false; }
      } else if (!agree(x, y)) { return false; }
      agreed += 1;
    }
    return agreed > 0;
  }

  // One entry: true (right), false (wrong); throws when the text cannot be read.
  function entryRight(check, expected, text) {
    switch (check.compare) {
      case "word": return text.trim().toLowerCase() === String(expected).trim().toLowerCase();
      case "formula": return sameExpression(String(expected), delocalise(text), check.symbols);
      case "whole": return readNumber(text, true) === expected;
      case "close": return close(expected, readNumber(text, false), check.atol, check.rtol);
    }
    throw new Error("no comparison " + check.compare);
  }

  // Whether every entry is right against `expected` (one list of entries); unreadable entries are wrong.
  function allRight(check, expected, texts) {
    return texts.every(function (text, k) {
      try { return text.trim() !== "" && entryRight(check, expected[k], text); } catch (error) { return false; }
    });
  }

  // A field asked as options (compare "letters"): the marked letters scored as grade scores them
  // (generator.answers.choice.score), each wrong option marked named by its mistake or slip.
  function choiceScore(check, marked) {
    var count = check.entries.length, right = check.right, rule = check.scoring;
    if (marked.length === 0) { return 0; }
    var hits = marked.filter(function (i) { return right.indexOf(i) >= 0; }).length;
    var misses = marked.length - hits, wrongCount = count - right.length;
    if (hits === right.length && misses === 0) { return 1; }
    if (!check.multi) { return rule === "negative" && count > 1 ? -1 / (count - 1) : 0; }
    if (rule === "all-or-nothing") { return 0; }
    var value = hits / right.length - (wrongCount ? misses / wrongCount : 0);
    return rule === "partial" ? Math.max(0, value) : Math.max(-1, value);
  }

  function checkChoice(dom, check) {
    var marked = [], notes = [], missed = [];
    check.entries.forEach(function (id, i) {
      var input = document.getElementById(id), row = input.closest(".choice");
      var isRight = check.right.indexOf(i) >= 0, letter = input.value;
      row.classList.remove("right", "wrong");
      input.removeAttribute("aria-invalid");
      if (input.checked) {
        marked.push(i);
        row.classList.add(isRight ? "right" : "wrong");
        input.setAttribute("aria-invalid", isRight ? "false" : "true");
        if (!isRight && has(check.mistakes_at, String(i))) { notes.push("(" + letter + ") " + T("likely mistake:") + " " + check.mistakes_at[String(i)]); }
        else if (!isRight && has(check.slips_at, String(i))) { notes.push("(" + letter + ") " + check.slips_at[String(i)]); }
      } else if (isRight && check.multi) { missed.push(letter); }
    });
    var credit = choiceScore(check, marked), got = check.points * credit;
    var allRightMarked = credit === 1;
    var message;
    if (marked.length === 0) { message = "\u2717 " + T("no answer yet"); }
    else if (allRightMarked) { message = "\u2713 " + T("right"); }
    else { message = "\u2717 " + T("wrong"); }
    if (notes.length) { message += " \u2014 " + notes.join("; "); }
    if (marked.length && !allRightMarked && missed.length) { message += " \u2014 " + T("not marked:") + " " + missed.join(", "); }
    message += " [" + pointsText(got) + " " + T("of") + " " + pointsText(check.points) + " " + T("pt") + "]";
    var verdict = document.getElementById(dom + "-verdict"), field = verdict.closest(".field");
    verdict.textContent = message;
    field.classList.remove("is-right", "is-wrong", "is-partial");
    field.classList.add(allRightMarked ? "is-right" : "is-wrong");
    if (credit > 0 && credit < 1) { field.classList.add("is-partial"); }
    return got;
  }

  function checkField(dom) {
    var check = CHECKS[dom];
    if (check.compare === "letters") { return checkChoice(dom, check); }
    var wrong = [], unread = [], empty = 0, reason = "";
    check.entries.forEach(function (id, k) {
      var input = document.getElementById(id);
      var text = input.value;
      var right = false;
      input.classList.remove("right", "wrong");
      if (text.trim() === "") { empty += 1; } else {
        try { right = entryRight(check, check.expected[k], text); } catch (error) { unread.push(k + 1); reason = reason || error.message; }
      }
      input.classList.add(right ? "right" : "wrong");
      input.setAttribute("aria-invalid", right ? "false" : "true");
      if (!right) { wrong.push(k + 1); }
    });
    var convention = null;
    if (wrong.length > 0 && check.alternatives.length) {   // another accepted convention?
      var texts = check.entries.map(function (id) { return document.getElementById(id).value; });
      check.alternatives.forEach(function (alternative) {
        if (convention === null && allRight(check, alternative.expected, texts)) { convention = alternative.convention; }
      });
      if (convention !== null) {
        wrong = []; unread = [];
        check.entries.forEach(function (id) {
          var input = document.getElementById(id);
          input.classList.remove("wrong"); input.classList.add("right"); input.setAttribute("aria-invalid", "false");
        });
      }
    }
    var many = check.entries.length > 1;
    var likely = [];
    if (wrong.length > 0 && convention === null && empty < check.entries.length) {  // declared mistakes?
      var typed = check.entries.map(function (id) { return document.getElementById(id).value; });
      (check.mistakes || []).forEach(function (mistake) {
        if (mistake.expected.length === typed.length && allRight(check, mistake.expected, typed)
            && likely.indexOf(mistake.description) < 0) { likely.push(mistake.description); }
      });
    }
    var far = [];
    if (wrong.length > 0 && convention === null && likely.length === 0 && check.compare === "close") {
      check.entries.forEach(function (id, k) {   // how far off, and the tolerance, as grade states it
        var value;
        try { value = readNumber(document.getElementById(id).value, false); } catch (error) { return; }
        var expected = check.expected[k];
        if (value === null || close(expected, value, check.atol, check.rtol)) { return; }
        var bound = check.atol + check.rtol * Math.abs(expected);
        var off = expected !== 0 ? Math.abs(value - expected) / Math.abs(expected) : Math.abs(value - expected);
        far.push((many ? T("entry") + " " + (k + 1) + " " : "") + (value > expected ? T("too high") : T("too low")) + " " + T("by") + " "
                 + decimalText(expected !== 0 ? (100 * off).toPrecision(2) + "%" : off.toPrecision(2))
                 + ", " + T("allowed") + " \u00b1" + decimalText(bound.toPrecision(2)));
      });
    }
    var verdict = document.getElementById(dom + "-verdict");
    var field = verdict.closest(".field");
    var message;
    if (wrong.length === 0) { message = "\u2713 " + T("right") + (convention ? " (" + T("accepted convention:") + " " + convention + ")" : ""); }
    else if (empty === check.entries.length) { message = "\u2717 " + T("no answer yet"); }
    else if (many) { message = "\u2717 " + (wrong.length > 1 ? T("wrong: entries") : T("wrong: entry")) + " " + wrong.join(", "); }
    else { message = "\u2717 " + T("wrong"); }
    likely.forEach(function (description) { message += " (" + T("likely mistake:") + " " + description + ")"; });
    if (far.length) { message += " (" + far.join("; ") + ")"; }
    // Points as grade gives them (AnswerType.credit): a field of several entries scored entry by
    // entry (check.partial) earns its share times (entries right / entries), any other all or nothing.
    // An empty or unreadable box is a wrong entry.
    var count = check.entries.length, rightCount = count - wrong.length;
    var credit = wrong.length === 0 ? 1 : (check.partial ? rightCount / count : 0);
    var got = check.points * credit;
    if (wrong.length > 0 && many && rightCount > 0) {
      var rightEntries = [];
      for (var e = 1; e <= count; e++) { if (wrong.indexOf(e) < 0) { rightEntries.push(e); } }
      message += " \u2014 " + rightCount + " " + T("of") + " " + count + " " + T("entries right") + " ("
                 + (rightCount > 1 ? T("entries") : T("entry")) + " " + rightEntries.join(", ") + ")"
                 + (check.partial ? "" : "; " + T("this field scores only when all are"));
    }
    message += " [" + pointsText(got) + " " + T("of") + " " + pointsText(check.points) + " " + T("pt") + "]";
    if (unread.length) { message += " (" + T("could not read") + " " + (many ? T("entry") + " " + unread.join(", ") : T("the answer")) + ": " + reason + ")"; }
    verdict.textContent = message;
    field.classList.remove("is-right", "is-wrong", "is-partial");
    field.classList.add(wrong.length === 0 ? "is-right" : "is-wrong");
    if (credit > 0 && credit < 1) { field.classList.add("is-partial"); }
    return got;
  }

  function pointsText(value) { return decimalText(String(Math.round(value * 100) / 100)); }
  function decimalText(text) { return PAGE.decimal === "," ? text.replace(/(\d)\.(\d)/g, "$1,$2") : text; }

  // ------------------------------------------------------------ formula preview (MathML)

  var GREEK = { alpha: "\u03b1", beta: "\u03b2", gamma: "\u03b3", delta: "\u03b4", eps: "\u03b5", epsilon: "\u03b5",
                eta: "\u03b7", theta: "\u03b8", lam: "\u03bb", mu: "\u03bc", nu: "\u03bd", pi: "\u03c0", rho: "\u03c1",
                sigma: "\u03c3", tau: "\u03c4", phi: "\u03c6", omega: "\u03c9" };
  function esc(text) { return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function ident(name) {
    var match = /^([A-Za-z]+?)_?(\d+)$/.exec(name);
    if (match) { return "<msub>" + ident(match[1]) + "<mn>" + match[2] + "</mn></msub>"; }
    return "<mi>" + esc(has(GREEK, name) ? GREEK[name] : name) + "</mi>";
  }
  var PRECEDENCE = { "+": 1, "-": 1, "*": 2, "/": 2, neg: 3, "**": 4 };
  function mathml(node, outer) {
    var inner, level = PRECEDENCE[node[0]] || 5;
    switch (node[0]) {
      case "num": inner = "<mn>" + esc(node[1]) + "</mn>"; break;
      case "name": inner = ident(node[1]); break;
      case "neg": inner = "<mo>\u2212</mo>" + mathml(node[1], 3); break;
      case "+": case "-":
        inner = mathml(node[1], 1) + "<mo>" + (node[0] === "-" ? "\u2212" : "+") + "</mo>" + mathml(node[2], 2); break;
      case "*": inner = mathml(node[1], 2) + "<mo>\u22c5</mo>" + mathml(node[2], 3); break;
      case "/": return "<mfrac><mrow>" + mathml(node[1], 0) + "</mrow><mrow>" + mathml(node[2], 0) + "</mrow></mfrac>";
      case "**": inner = "<msup><mrow>" + mathml(node[1], 5) + "</mrow><mrow>" + mathml(node[2], 0) + "</mrow></msup>"; break;
      case "call":
        if (node[1] === "sqrt" && node[2].length === 1) { return "<msqrt>" + mathml(node[2][0], 0) + "</msqrt>"; }
        if ((node[1] === "abs" || node[1] === "Abs") && node[2].length === 1) {
          return "<mrow><mo>|</mo>" + mathml(node[2][0], 0) + "<mo>|</mo></mrow>";
        }
        inner = (has(GREEK, node[1]) ? ident(node[1]) : "<mi>" + esc(node[1]) + "</mi>") + "<mo>(</mo>"
          + node[2].map(function (a) { return mathml(a, 0); }).join("<mo>,</mo>") + "<mo>)</mo>";
        return "<mrow>" + inner + "</mrow>";
    }
    return level < outer ? "<mrow><mo>(</mo>" + inner + "<mo>)</mo></mrow>" : "<mrow>" + inner + "</mrow>";
  }

  function preview(input) {
    var field = input.closest("[data-field]");
    var box = field && document.getElementById(field.getAttribute("data-field") + "-preview");
    if (!box) { return; }
    var text = input.value.trim();
    if (text === "") { box.textContent = ""; return; }
    try {
      var check = CHECKS[field.getAttribute("data-field")] || { symbols: [] };
      var tree = parse(text);
      var unknown = Object.keys(names(tree, {})).filter(function (n) {
        return check.symbols.indexOf(n) < 0 && names(parse(String(check.expected[0])), {})[n] === undefined;
      });
      box.innerHTML = esc(T("Read as")) + " <math>" + mathml(tree, 0) + "</math>"
        + (unknown.length ? " <span class=\"warn\">(" + esc(T("unknown name")) + " " + esc(unknown.join(", ")) + "; " + esc(T("use")) + " "
           + esc(check.symbols.join(", ")) + ")</span>" : "");
    } catch (error) { box.textContent = T("Not yet a formula:") + " " + error.message; }
  }

  // ------------------------------------------------------------ checks of each variant

  function hexBytes(hex) {
    var out = [];
    for (var k = 0; k < hex.length; k += 2) { out.push(parseInt(hex.slice(k, k + 2), 16)); }
    return out;
  }
  var KEY = hexBytes(PAGE.key);
  function reveal(text) {   // generator.practice.obfuscate, undone
    var binary = atob(text.trim()), bytes = new Uint8Array(binary.length);
    for (var k = 0; k < binary.length; k++) { bytes[k] = binary.charCodeAt(k) ^ KEY[k % KEY.length]; }
    return JSON.parse(new TextDecoder("utf-8").decode(bytes));
  }
  function adopt(section) {
    Array.prototype.forEach.call(section.querySelectorAll("script.examgen-checks"), function (script) {
      var checks = reveal(script.textContent);
      Object.keys(checks).forEach(function (dom) { CHECKS[dom] = checks[dom]; });
    });
    restore(section);
    markWide(section);
  }

  // ------------------------------------------------------------ progress (localStorage)

  var STORE = "examgen:" + PAGE.id + ":" + PAGE.seed;
  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE)) || { answers: {}, checked: {} }; }
    catch (error) { return { answers: {}, checked: {} }; }
  }
  var state = load();
  function save() {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(state));
      if (PAGE.progress) {   // for the site's index: points of the checked fields, over all variants tried
        var got = 0, max = 0, tried = {};
        Object.keys(state.checked).forEach(function (dom) {
          got += state.checked[dom].points; max += state.checked[dom].max; tried[dom.split("-")[0]] = true;
        });
        window.localStorage.setItem("examgen-progress:" + PAGE.progress,
          JSON.stringify({ points: got, max: max, variants: Object.keys(tried).length }));
      }
    } catch (error) { /* storage off: the page still works, it only forgets */ }
  }
  function restore(section) {
    Array.prototype.forEach.call(section.querySelectorAll("input, select"), function (input) {
      if (input.id && has(state.answers, input.id)) {
        if (marks(input)) { input.checked = state.answers[input.id] === true; }
        else { input.value = state.answers[input.id]; preview(input); }
      }
    });
    Array.prototype.forEach.call(section.querySelectorAll("form.answers"), function (form) {
      var any = Array.prototype.some.call(form.querySelectorAll("[data-field]"), function (field) {
        return has(state.checked, field.getAttribute("data-field"));
      });
      if (any) { checkProblem(form, true); }
    });
  }
  function marks(input) { return input.type === "radio" || input.type === "checkbox"; }
  function clearVerdict(input) {
    var field = input.closest("[data-field]");
    if (!field) { return; }
    var dom = field.getAttribute("data-field"), verdict = document.getElementById(dom + "-verdict");
    if (verdict) { verdict.textContent = ""; }
    field.classList.remove("is-right", "is-wrong", "is-partial");
    Array.prototype.forEach.call(field.querySelectorAll("input, select, .choice"), function (box) {
      box.classList.remove("right", "wrong"); box.removeAttribute("aria-invalid");
    });
    delete state.checked[dom];
    var form = input.closest("form");
    if (form) { form.querySelector(".score").textContent = ""; }
    updateTotal(input.closest(".variant"));
  }

  // ------------------------------------------------------------ wide formulas

  // A block too wide for the screen scrolls sideways inside itself; this marks it and adds a
  // visible cue, since phones hide scroll bars.
  function markWide(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".statement, .part-text, .solution, .hint"), function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("scrolls", wide);
      var cue = box.previousElementSibling;
      var has = cue && cue.classList.contains("scroll-cue");
      if (wide && !has) {
        cue = document.createElement("p");
        cue.className = "scroll-cue";
        cue.setAttribute("aria-hidden", "true");
        cue.textContent = "\u2194 " + T("wide formula: scroll sideways");
        box.parentNode.insertBefore(cue, box);
      } else if (!wide && has) { cue.parentNode.removeChild(cue); }
    });
  }

  // ------------------------------------------------------------ page wiring

  function checkProblem(form, quiet) {
    var fields = form.querySelectorAll("[data-field]"), got = 0, total = 0, right = 0, count = 0;
    Array.prototype.forEach.call(fields, function (field) {
      var dom = field.getAttribute("data-field");
      if (!CHECKS[dom]) { return; }
      var points = checkField(dom);
      total += CHECKS[dom].points; count += 1;
      got += points; right += field.classList.contains("is-right") ? 1 : 0;
      state.checked[dom] = { points: points, max: CHECKS[dom].points };
    });
    form.querySelector(".score").textContent = pointsText(got) + " " + T("of") + " " + pointsText(total) + " " + T("points") + " ("
      + right + " " + T("of") + " " + count + " " + (count === 1 ? T("answer right") : T("answers right")) + ")";
    if (!quiet) { save(); }
    updateTotal(form.closest(".variant"));
  }

  function updateTotal(section) {
    if (!section) { return; }
    var got = 0, total = 0, checked = 0;
    Array.prototype.forEach.call(section.querySelectorAll("[data-field]"), function (field) {
      var dom = field.getAttribute("data-field");
      if (!CHECKS[dom]) { return; }
      total += CHECKS[dom].points;
      if (has(state.checked, dom)) { got += state.checked[dom].points; checked += 1; }
    });
    section.querySelector(".variant-total").textContent = checked ? "\u2014 " + T("total") + " " + pointsText(got) + " " + T("of") + " "
      + pointsText(total) + " " + T("points") : "";
  }

  function toggle(button) {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.getAttribute("aria-controls").split(/\s+/).forEach(function (id) {
      var element = document.getElementById(id);
      if (element) { element.hidden = !open; if (open) { markWide(element.parentNode); } }
    });
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var hint = button.classList.contains("reveal-hint");
    button.textContent = open ? (hint ? T("Hide hint") : T("Hide solution")) : (hint ? T("Show hint") : T("Show solution"));
  }

  var select = document.getElementById("variant-select");
  var status = document.getElementById("variant-status");
  var notice = document.getElementById("variant-notice");
  var pending = null;

  function say(text) { notice.textContent = text; notice.hidden = !text; }

  function showVariant(key, announce) {
    var section = document.getElementById("variant-" + key);
    if (!section && has(PAGE.lazy, key)) {   // not in the page yet: load its script (works from file:// too)
      pending = { key: key, announce: announce };
      var script = document.createElement("script");
      script.src = PAGE.lazy[key];
      script.onerror = function () { say(T("Variant") + " " + key + " " + T("could not be loaded") + " (" + PAGE.lazy[key] + " " + T("is missing") + ")."); };
      document.body.appendChild(script);
      say(T("Loading variant") + " " + key + "\u2026");
      return;
    }
    if (!section) {
      say(T("There is no variant") + " " + key + " " + T("on this page: it has variants") + " " + PAGE.keys[0] + " " + T("to") + " "
          + PAGE.keys[PAGE.keys.length - 1] + ". " + T("Showing variant") + " " + select.value + ".");
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll(".variant"), function (other) { other.hidden = other !== section; });
    say("");
    select.value = key;
    markWide(section);
    state.variant = key; save();
    if (window.history && window.history.replaceState) {
      try { window.history.replaceState(null, "", "#variant-" + key); } catch (error) { /* file: URLs in some browsers */ }
    }
    if (announce) { status.textContent = T("Showing variant") + " " + key + " " + T("of") + " " + PAGE.keys.length; }
  }

  window.examgenVariant = function (key, html) {
    if (document.getElementById("variant-" + key)) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var section = holder.firstElementChild;
    notice.parentNode.insertBefore(section, notice);
    adopt(section);
    if (pending && pending.key === key) { var p = pending; pending = null; showVariant(key, p.announce); }
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("answers")) { event.preventDefault(); checkProblem(form); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.reveal") : null;
    if (button) { toggle(button); }
  });
  function edited(event) {
    var input = event.target;
    if (!input.id || !input.closest || !input.closest(".variant")) { return; }
    if (marks(input)) {   // a radio button unmarks the others of its group: keep every box's state
      Array.prototype.forEach.call(input.closest("[data-field]").querySelectorAll("input"), function (box) {
        if (box.id) { state.answers[box.id] = box.checked; }
      });
    } else { state.answers[input.id] = input.value; }
    clearVerdict(input);
    preview(input);
    save();
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", function (event) { if (event.target.tagName === "SELECT" && event.target !== select) { edited(event); } });
  select.addEventListener("change", function () { showVariant(select.value, true); });
  document.getElementById("next-variant").addEventListener("click", function () {
    var next = select.selectedIndex + 1;
    if (next >= select.options.length) { say(T("That was the last of the") + " " + PAGE.keys.length + " " + T("variants.") + " " + PAGE.more); return; }
    showVariant(select.options[next].value, true);
  });
  document.getElementById("forget").addEventListener("click", function () {
    state = { answers: {}, checked: {} }; save();
    Array.prototype.forEach.call(document.querySelectorAll(".variant input, .variant select"), function (input) {
      if (marks(input)) { input.checked = false; } else { input.value = ""; }
      clearVerdict(input); preview(input);
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".variant"), adopt);
  var initial = /^#variant-(.+)$/.exec(window.location.hash);
  if (initial) { showVariant(decodeURIComponent(initial[1]), false); }
  else if (state.variant && state.variant !== "1") { showVariant(state.variant, false); }
  window.addEventListener("resize", function () { markWide(document); });
  document.documentElement.classList.add("js");

  window.examgen = { readNumber: readNumber, close: close, sameExpression: sameExpression, checkField: checkField,
                     entryRight: entryRight, choiceScore: choiceScore, checks: CHECKS, showVariant: showVariant };
}());
