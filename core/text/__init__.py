"""Chinese text rules, each in one small pure function or pattern, used everywhere:
numerals, sentence and clause ends, headings (第X编/章/节/条, 一、/（一）/1./（1）, 一是,
case headings), 文号, dates, 《新风》 issue numbers, normalisation, coverage."""
