#!/usr/bin/env python3
"""po_style.py PO_DIR: what a native reader of each translation trips over,
checked in every msgstr so that a later string cannot bring it back.
Prints one PASS/FAIL line per check and language, like tests/e2e/lib.sh.

- the ellipsis is "…": ASCII "..." only where the msgid has it too
  (command syntax such as FILE|DIR...);
- quotes are the language's „…”, never ASCII "…" or English “…” around
  words; straight '…' stay for what is typed (commands, options, input);
- Romanian writes ș ț with the comma below, never ş ţ (cedilla);
- the glossary at the top of each file: one word for each notion, so the
  words it replaced must not come back;
- Hungarian: no suffix glued to a placeholder and no "a(z)", which only a
  program writes; the wording puts the value in brackets or after a colon.
"""
import re
import sys

# Words a native reviewer replaced: (pattern, what to write instead).
BANNED = {
    'pl': [
        (r'\banulow|\banulu[jąe]\w', 'void is „storno” (stornować); anuluj is only Cancel'),
        (r'\bobej[śs]', 'an override is „zgoda kierownika”, not circumvention'),
        (r'(?<![.\w])(offline|online)\b(?!\.)', '„bez połączenia” / „połączone”, not English'),
        (r'\bTop\b', 'no English headings'),
        (r'nazw[aąęy] i PIN|nazw[ąęy] pracownika|[Nn]azwa pracownika|pracownika o nazwie', "a person's name is „imię”"),
        (r'\bdostarczon', 'a shipped template is „domyślny”'),
    ],
    'ro': [
        (r'\brevendic', 'a reward is received/given (a primi, a acorda), not claimed'),
        (r'pierdere de clienți|\bPierdere\b', 'churn is „rată de abandon”'),
        (r'(?<![.\w])offline\b(?!\.)', 'not English'),
        (r'\bTop\b', 'no English headings'),
        (r'(?<!tally )\bdigest\b|\brezumat\b(?! al)', 'the digest is an „amprentă”; „Rezumat” is the Summary'),
        (r'să fie uitat|client uitat', 'forgetting a customer is „ștergerea datelor”'),
        (r'\(livrat\)|textul livrat', 'a shipped template is „predefinit”'),
        (r'trece peste limită', 'an override is „aprobarea managerului”'),
        (r'[şţŞŢ]', 'ș ț take the comma below'),
    ],
    'hu': [
        (r'a\(z\)', 'no „a(z)”: put the value in brackets or after a colon'),
        (r'(?<![.\w])offline\b(?!\.)', '„kapcsolat nélküli”, not English'),
        (r'\bTétel|\btételenként|\b\d* ?tétel\b', 'items are „darab”'),
        (r'\bügyf[eé]l', 'a customer is „vásárló”'),
        (r'\belfelejt', 'a forgotten customer is „törölt adatú”'),
        (r'\b(futtasd|add meg)\b', 'staff are addressed formally (futtassa, adja meg)'),
        (r'(%(?:<PRId64>|[0-9.*]*l*[sd]))-?(?!ig\b|x%)[a-záéíóöőúüű]', 'no suffix on a placeholder'),
    ],
}


def unquote(lines):
    out = ''
    for line in lines:
        m = re.match(r'^[^"]*"(.*)"\s*$', line)
        if m:
            out += m.group(1)
    return bytes(out, 'utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8')


def entries(path):
    for block in open(path, encoding='utf-8').read().split('\n\n'):
        lines = block.split('\n')
        if any(line.startswith('#~') for line in lines):
            continue
        parts, cur = {}, None
        for line in lines:
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) ', line)
            if m:
                cur = m.group(1)
                parts[cur] = [line]
            elif line.startswith('"') and cur:
                parts[cur].append(line)
        if 'msgid' not in parts:
            continue
        mid = unquote(parts['msgid'])
        if not mid:
            continue
        strs = [unquote(v) for k, v in parts.items() if k.startswith('msgstr')]
        yield mid, strs


def check(lang, path):
    bad = {'ellipsis': [], 'quotes': [], 'glossary': []}
    for mid, strs in entries(path):
        for s in strs:
            if s.count('...') > mid.count('...'):
                bad['ellipsis'].append(s)
            # Drop what is typed ('…', and the CSV advice '"' / ("")), then
            # every quote left must be the language's pair.
            prose = re.sub(r"'[^'\n]*'", '', s).replace('("")', '')
            if '"' in prose or '“' in prose or re.search(r'„[^”„]*(?:„|$)', prose):
                bad['quotes'].append(s)
            for pattern, why in BANNED.get(lang, []):
                m = re.search(pattern, prose if lang == 'hu' else s)
                if m:
                    bad['glossary'].append('%s (%s): %s' % (m.group(0), why, s))
    for what, found in bad.items():
        name = {'ellipsis': 'no ASCII "..." where the msgid has none',
                'quotes': 'quotes are „…” around words',
                'glossary': 'the glossary\'s words, and none it replaced'}[what]
        if found:
            print('FAIL: %s.po: %s: %s' % (lang, name, ' | '.join(x.replace('\n', ' ')[:160] for x in found[:5])))
        else:
            print('PASS: %s.po: %s' % (lang, name))


if __name__ == '__main__':
    po_dir = sys.argv[1]
    for lang in open(po_dir + '/LINGUAS').read().split():
        check(lang, '%s/%s.po' % (po_dir, lang))
