package template

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFilters(t *testing.T) {
	runRender(t, []renderCase{
		{"upper lower", "{{ 'Ab' | upper }} {{ 'Ab' | lower }}", "AB ab"},
		{"chain", "{{ inputs.padded | trim | upper | length }}", "2"},
		{"trim", "[{{ inputs.padded | trim }}]", "[hi]"},
		{"capitalize", "{{ 'hello world' | capitalize }} {{ 'élan' | capitalize }}", "Hello world Élan"},
		{"title", "{{ 'hello big world' | title }}", "Hello Big World"},
		{"null passes through", "[{{ inputs.nothing | upper }}]", "[]"},
		{"number to string filter", "{{ 12 | length }}", "2"},
		{"default undefined", "{{ missing | default('d') }}", "d"},
		{"default deep undefined", "{{ outputs.nope.uri | default('d') }}", "d"},
		{"default null", "{{ inputs.nothing | default('d') }}", "d"},
		{"default empty string", "{{ inputs.empty | default('d') }}", "d"},
		{"default keeps value", "{{ inputs.name | default('d') }} {{ 0 | default('d') }} {{ false | default('d') }}", "World 0 false"},
		{"default after filters", "{{ missing | upper | default('d') }}", "d"},
		{"default typed", "{{ missing | default(5) + 1 }}", "6"},
		{"replace pairs", "{{ 'a-b-c' | replace({'-': '+', 'a': 'A'}) }}", "A+b+c"},
		{"replace pairs in order", "{{ 'ab' | replace({'a': 'b', 'b': 'c'}) }}", "cc"},
		{"replace two args", "{{ 'a.b.c' | replace('.', '/') }}", "a/b/c"},
		{"length", "{{ 'héllo' | length }} {{ list | length }} {{ outputs | length }} {{ inputs.nothing | length }} {{ ordered | length }}", "5 3 3 0 3"},
		{"first last list", "{{ list | first }} {{ list | last }}", "3 2"},
		{"first last string", "{{ 'héllo' | first }} {{ 'héllo' | last }}", "h o"},
		{"first empty", "[{{ [] | first }}]", "[]"},
		{"join", "{{ [1, 'a', true] | join(', ') }} {{ ['a', 'b'] | join }}", "1, a, true ab"},
		{"split", "{{ inputs.csv | split(',') }}", `["a","b","","c"]`},
		{"split limit", "{{ inputs.csv | split(',', 2) }}", `["a","b,,c"]`},
		{"split then index", "{{ (inputs.csv | split(','))[1] }}", "b"},
		{"keys go map", "{{ outputs | keys }}", `["each","query","task-id"]`},
		{"keys ordered", "{{ ordered | keys | join(',') }}", "zeta,alpha,mid"},
		{"keys list", "{{ ['a', 'b'] | keys }}", "[0,1]"},
		{"values", "{{ ordered | values }}", `[1,"two",[3]]`},
		{"abs", "{{ -5 | abs }} {{ -2.5 | abs }} {{ 3 | abs }}", "5 2.5 3"},
		{"number int", "{{ '42' | number + 1 }}", "43"},
		{"number float", "{{ ' 2.5 ' | number * 2 }}", "5"},
		{"number typed", "{{ '7' | number('DOUBLE') }} {{ '7' | number('LONG') }}", "7 7"},
		{"number passthrough", "{{ 3 | number }}", "3"},
		{"slice list", "{{ [1, 2, 3, 4] | slice(1, 3) }}", "[2,3]"},
		{"slice string", "{{ 'héllo' | slice(1, 3) }}", "él"},
		{"slice defaults and clamps", "{{ 'hello' | slice(2) }} {{ 'hello' | slice(-3) }} {{ 'hello' | slice(3, 99) }} [{{ 'hello' | slice(4, 2) }}]", "llo llo lo []"},
		{"slice named", "{{ 'hello' | slice(toIndex=2) }}", "he"},
		{"abbreviate", "{{ 'hello world' | abbreviate(8) }} {{ 'hi' | abbreviate(8) }} {{ 'hello' | abbreviate(2) }}", "hello... hi he"},
		{"urlencode", "{{ 'a b&c=d/é' | urlencode }}", "a+b%26c%3Dd%2F%C3%A9"},
		{"urldecode", "{{ 'a+b%26c' | urldecode }}", "a b&c"},
		{"base64", "{{ 'héllo' | base64encode }} {{ 'aMOpbGxv' | base64decode }}", "aMOpbGxv héllo"},
		{"json filter", "{{ {'b': [1, 2.5], 'a': null} | json }}", `{"b":[1,2.5],"a":null}`},
		{"json of string", "{{ 'say \"hi\"' | json }}", `"say \"hi\""`},
		{"json of null", "{{ inputs.nothing | json }}", "null"},
		{"json of date", "{{ date | json }}", `"2024-01-31T10:04:05.123456789Z"`},
		{"json sorts go maps", "{{ typed | json }}", `{"one":1,"two":2}`},
		{"json aliases", "{{ [1] | toJson }} {{ [2] | jsonEncode }}", "[1] [2]"},
		{"jq path", "{{ outputs.query | jq('.rows[1].name') }}", `["bob"]`},
		{"jq first", "{{ outputs.query | jq('.size') | first }}", "3"},
		{"jq many results", "{{ outputs.query.rows | jq('.[].id') }}", "[1,2]"},
		{"jq on json string", "{{ inputs.json | jq('.b') | first }}", "1"},
		{"jq builtins", "{{ [3, 1, 2] | jq('sort | add') | first }}", "6"},
		{"jq ordered map input", "{{ ordered | jq('.alpha') | first }}", "two"},
		{"jq date input", "{{ {'d': date} | jq('.d') | first }}", "2024-01-31T10:04:05.123456789Z"},
		{"jq env is empty", "{{ {} | jq('$ENV | length') }}", "[0]"},
		{"jq null input", "{{ inputs.nothing | jq('.a') is null }}", "true"},
		{"jq empty", "{{ [1] | jq('empty') }}", "[]"},
		{"reverse", "{{ [1, 2, 3] | reverse }} {{ 'abc' | reverse }}", "[3,2,1] cba"},
		{"sort", "{{ [3, 1.5, 2] | sort }} {{ ['b', 'a'] | sort }}", "[1.5,2,3] [\"a\",\"b\"]"},
		{"startsWith endsWith", "{{ 'hello' | startsWith('he') }} {{ 'hello' | endsWith('x') }}", "true false"},
		{"substrings", "{{ 'a.b.c' | substringBefore('.') }} {{ 'a.b.c' | substringBeforeLast('.') }} {{ 'a.b.c' | substringAfter('.') }} {{ 'a.b.c' | substringAfterLast('.') }}", "a a.b b.c c"},
		{"substring missing separator", "{{ 'abc' | substringBefore('x') }} [{{ 'abc' | substringAfter('x') }}]", "abc []"},
		{"timestamps", "{{ '2024-01-01T00:00:01.5Z' | timestamp }} {{ '2024-01-01T00:00:01.5Z' | timestampMilli }} {{ '1970-01-01T00:00:00.000002Z' | timestampMicro }} {{ '1970-01-01T00:00:00.000000003Z' | timestampNano }}",
			"1704067201 1704067201500 2 3"},
		{"named args", "{{ date | date(timeZone='Europe/Paris', format='HH:mm') }}", "11:04"},
	})
}

func TestFunctions(t *testing.T) {
	defer func(old func() time.Time) { Now = old }(Now)
	Now = func() time.Time { return time.Date(2024, 3, 10, 12, 0, 0, 0, time.FixedZone("X", 3600)) }
	runRender(t, []renderCase{
		{"now", "{{ now() }}", "2024-03-10T11:00:00Z"},
		{"now formatted", "{{ now(format='yyyy-MM-dd HH:mm') }} {{ now('HH', 'Asia/Tokyo') }}", "2024-03-10 11:00 20"},
		{"now zone only", "{{ now(timeZone='+02:00') }}", "2024-03-10T13:00:00+02:00"},
		{"now is a date", "{{ now() | dateAdd(-1, 'DAYS') | date('yyyy-MM-dd') }}", "2024-03-09"},
		{"json parses", "{{ json('{\"b\": 1, \"a\": [1.5, \"x\", null, true]}') }}", `{"b":1,"a":[1.5,"x",null,true]}`},
		{"json access", "{{ json(inputs.json).a[0] }}", "true"},
		{"json scalar", "{{ json('42') + 1 }}", "43"},
		{"json aliases", "{{ fromJson('[1]') }} {{ jsonDecode('[2]') }}", "[1] [2]"},
		{"json of a map", "{{ json(outputs['task-id']).a.value }}", "va"},
		{"range", "{{ range(1, 3) }} {{ range(0, 10, 5) }} {{ range(3, 1, -1) }} {{ range(3, 1) }}", "[1,2,3] [0,5,10] [3,2,1] []"},
		{"max min", "{{ max(1, 5, 3) }} {{ min(4, 2.5) }} {{ max([1, 9]) }} {{ min('b', 'a') }}", "5 2.5 9 a"},
	})
}

func TestDateFilter(t *testing.T) {
	runRender(t, []renderCase{
		{"default iso", "{{ date | date }}", "2024-01-31T10:04:05.123456Z"},
		{"pattern", "{{ date | date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\") }}", "2024-01-31T10:04:05.123Z"},
		{"compact", "{{ date | date('yyyyMMdd') }} {{ date | date('HH:mm') }}", "20240131 10:04"},
		{"time zone", "{{ date | date('yyyy-MM-dd HH:mm XXX', 'America/New_York') }}", "2024-01-31 05:04 -05:00"},
		{"offset zone", "{{ date | date('HH:mm xx', '+05:30') }}", "15:34 +0530"},
		{"names", "{{ date | date('EEEE d MMMM yy, EEE MMM') }}", "Wednesday 31 January 24, Wed Jan"},
		{"12 hour", "{{ date | date('h:mm a K k') }}", "10:04 AM 10 10"},
		{"quotes", "{{ date | date(\"'at' HH 'o''clock' ''\") }}", "at 10 o'clock '"},
		{"day of year and week", "{{ date | date('D DDD w Q QQQ') }}", "31 031 5 1 Q1"},
		{"fractions", "{{ date | date('s S SS SSSSSSSSS n') }}", "5 1 12 123456789 123456789"},
		{"zone names", "{{ date | date('z VV O XXX Z ZZZZZ x') }}", "UTC Z GMT Z +0000 Z +00"},
		{"zone names paris", "{{ date | date('z VV O OOOO XXX', 'Europe/Paris') }}", "CET Europe/Paris GMT+1 GMT+01:00 +01:00"},
		{"optional section printed", "{{ date | date('HH[:mm]') }}", "10:04"},
		{"named iso8601", "{{ date | date('iso8601') }}", "2024-01-31T10:04:05.123456789Z"},
		{"named iso_sec sql", "{{ date | date('iso_sec') }} {{ date | date('sql') }} {{ date | date('sql_seq') }}", "2024-01-31T10:04:05Z 2024-01-31 10:04:05.123456 2024-01-31 10:04:05"},
		{"named iso_local", "{{ date | date('iso_local_date') }} {{ date | date('iso_local_time') }} {{ date | date('iso_local_date_time') }}", "2024-01-31 10:04:05.123456789 2024-01-31T10:04:05.123456789"},
		{"named iso_instant", "{{ date | date('iso_instant', 'Europe/Paris') }}", "2024-01-31T10:04:05.123456789Z"},
		{"named iso_date_time region", "{{ '2024-06-01T12:00:00Z' | date('iso_date_time', 'Europe/Paris') }}", "2024-06-01T14:00:00+02:00[Europe/Paris]"},
		{"named rfc1123", "{{ '2008-06-03T11:05:30Z' | date('rfc_1123_date_time') }}", "Tue, 3 Jun 2008 11:05:30 GMT"},
		{"named week date", "{{ '2024-01-01T00:00:00Z' | date('iso_week_date') }} {{ '2024-02-01T00:00:00Z' | date('iso_ordinal_date') }}", "2024-W01-1Z 2024-032Z"},
		{"named styles", "{{ date | date('medium') }} / {{ date | date('short') }}", "Jan 31, 2024, 10:04:05 AM / 1/31/24, 10:04 AM"},
		{"string inputs", "{{ '2024-01-31T10:00:00+02:00' | date('HH:mm XXX') }} {{ '2024-01-31' | date('yyyy/MM/dd HH:mm') }} {{ '2024-01-31 08:30:00' | date('HH:mm') }}", "10:00 +02:00 2024/01/31 00:00 08:30"},
		{"java zoned string", "{{ '2024-01-31T10:00Z[UTC]' | date('HH:mm:ss') }} {{ '2024-06-01T10:00+02:00[Europe/Paris]' | date('VV') }}", "10:00:00 Europe/Paris"},
		{"local string in zone", "{{ '2024-01-31T10:00:00' | date('HH:mm XXX', 'Asia/Tokyo') }}", "10:00 +09:00"},
		{"epoch seconds", "{{ 0 | date('yyyy-MM-dd HH:mm') }} {{ 1706695445 | date('iso_sec') }} {{ 1.5 | date('ss.SSS') }}", "1970-01-01 00:00 2024-01-31T10:04:05Z 01.500"},
		{"existing format", "{{ '31/01/2024 10:04' | date('yyyy-MM-dd HH:mm', existingFormat='dd/MM/yyyy HH:mm') }}", "2024-01-31 10:04"},
		{"existing compact", "{{ '20240131' | date('yyyy-MM-dd', existingFormat='yyyyMMdd') }}", "2024-01-31"},
		{"existing names and 12h", "{{ 'Wed, Jan 31 2024 3:04 PM' | date('HH:mm', existingFormat='EEE, MMM d yyyy h:mm a') }}", "15:04"},
		{"existing with zone", "{{ '2024-01-31 10:04:05.123 +0200' | date('iso', existingFormat='yyyy-MM-dd HH:mm:ss.SSS Z') }}", "2024-01-31T10:04:05.123000+02:00"},
		{"existing optional", "{{ '2024-01-31 10' | date('HH:mm', existingFormat='yyyy-MM-dd HH[:mm]') }} {{ '2024-01-31 10:30' | date('HH:mm', existingFormat='yyyy-MM-dd HH[:mm]') }}", "10:00 10:30"},
		{"existing zone id", "{{ '2024-06-01 12:00 Europe/Paris' | date('iso_sec', 'UTC', existingFormat='yyyy-MM-dd HH:mm VV') }}", "2024-06-01T10:00:00Z"},
		{"null date", "[{{ inputs.nothing | date('yyyy') }}]", "[]"},
	})
}

func TestDateAdd(t *testing.T) {
	runRender(t, []renderCase{
		{"days", "{{ '2024-01-31T10:00:00Z' | dateAdd(1, 'DAYS') }}", "2024-02-01T10:00:00Z"},
		{"negative days", "{{ '2024-03-01T00:00:00Z' | dateAdd(-1, 'DAYS') | date('yyyy-MM-dd') }}", "2024-02-29"},
		{"units case and singular", "{{ '2024-01-01T00:00:00Z' | dateAdd(2, 'hour') }} {{ '2024-01-01T00:00:00Z' | dateAdd(90, 'Seconds') }} {{ '2024-01-01T00:00:00Z' | dateAdd(5, 'minutes') }}",
			"2024-01-01T02:00:00Z 2024-01-01T00:01:30Z 2024-01-01T00:05:00Z"},
		{"weeks", "{{ '2024-01-01T00:00:00Z' | dateAdd(2, 'WEEKS') | date('yyyy-MM-dd') }}", "2024-01-15"},
		{"months clamp", "{{ '2024-01-31T00:00:00Z' | dateAdd(1, 'MONTHS') | date('yyyy-MM-dd') }} {{ '2023-01-31T00:00:00Z' | dateAdd(1, 'MONTH') | date('yyyy-MM-dd') }}", "2024-02-29 2023-02-28"},
		{"negative months", "{{ '2024-03-31T00:00:00Z' | dateAdd(-13, 'MONTHS') | date('yyyy-MM-dd') }}", "2023-02-28"},
		{"years clamp", "{{ '2024-02-29T00:00:00Z' | dateAdd(1, 'YEARS') | date('yyyy-MM-dd') }}", "2025-02-28"},
		{"millis", "{{ '2024-01-01T00:00:00Z' | dateAdd(1500, 'MILLIS') }}", "2024-01-01T00:00:01.5Z"},
		{"with format", "{{ '2024-01-01T00:00:00Z' | dateAdd(1, 'DAYS', 'yyyyMMdd') }}", "20240102"},
		{"days keep wall clock across DST", "{{ '2024-03-30T12:00:00+01:00' | dateAdd(1, 'DAYS', 'HH:mm XXX', 'Europe/Paris') }}", "12:00 +02:00"},
		{"hours are exact across DST", "{{ '2024-03-30T12:00:00+01:00' | dateAdd(24, 'HOURS', 'HH:mm XXX', 'Europe/Paris') }}", "13:00 +02:00"},
	})
}

func TestFilterErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{{ 'x' | date('yyyy-MM-dd') }}", `1:10: filter date: "x" is not an ISO-8601 date`},
		{"{{ date | date('yyyy-ii') }}", `unknown pattern letter 'i'`},
		{"{{ date | date('HH', 'Mars/Olympus') }}", `unknown time zone "Mars/Olympus"`},
		{"{{ date | dateAdd(1, 'FORTNIGHTS') }}", `unknown unit "FORTNIGHTS"`},
		{"{{ date | dateAdd(99999999999, 'YEARS') }}", `too far`},
		{"{{ '30/02/2024' | date('iso', existingFormat='dd/MM/yyyy') }}", `February has no day 30`},
		{"{{ '2024' | date('iso', existingFormat='yyyy-MM') }}", `expected "-"`},
		{"{{ [1] | upper }}", ""},
		{"{{ 'x' | abs }}", `filter abs: need a number, got string`},
		{"{{ 'x' | number }}", `"x" is not a number`},
		{"{{ 'x' | number('WEIRD') }}", `unknown type "WEIRD"`},
		{"{{ 'x' | jq('.[') }}", `invalid jq expression ".["`},
		{"{{ 'not json' | jq('.') }}", `input is a string that is not JSON`},
		{"{{ {'a': 1} | jq('.a.b') }}", `jq ".a.b": expected an object but got: number (1)`},
		{"{{ '!!' | base64decode }}", `invalid base64`},
		{"{{ [1, 'a'] | sort }}", `cannot compare string with integer`},
		{"{{ 'x' | replace(1) }}", `need a map of replacements or two strings`},
		{"{{ 'x' | replace('a') }}", `needs the replacement`},
		{"{{ json('{') }}", `function json: invalid JSON`},
		{"{{ json('[1] [2]') }}", `more than one value`},
		{"{{ range(1, 'x') }}", `range needs integers`},
		{"{{ range(1, 100000000000) }}", `template value limit`},
		{"{{ 'ab' | abbreviate(-1) }}", `must not be negative`},
		{"{{ 5 | keys }}", `need a map, got integer`},
		{"{{ 1 | first }}", `need a list or a string, got integer`},
		{"{{ 'a' | join }}", `need a list, got string`},
		{"{{ 'a' | slice('x') }}", `filter slice: argument "fromIndex" must be an integer, got string`},
		{"{{ date | date(5) }}", `filter date: argument "format" must be a string, got integer`},
		{"{{ 4 is even and 'x' is odd }}", `test odd: need an integer, got string`},
	}
	vars := fixture()
	for _, c := range cases {
		_, err := Render(c.src, vars)
		if c.want == "" {
			if err != nil {
				t.Errorf("Render(%q): unexpected error %v", c.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Render(%q): got error %v, want it to contain %q", c.src, err, c.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("Render(%q): error %T is not *Error", c.src, err)
		}
	}
}
