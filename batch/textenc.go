package batch

import (
	"strconv"

	"github.com/sluicehq/sluice/internal/rows"
)

// Appenders for the text forms of values that bulk protocols and literal
// SQL need. They avoid time.Time and fmt: on a million-row load every
// allocation per value shows in the figures.

func appendPad(b []byte, n int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 || width > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	if neg {
		b = append(b, '-')
	}
	return append(b, tmp[i:]...)
}

// appendDate appends YYYY-MM-DD.
func appendDate(b []byte, days int64) []byte {
	y, m, d := rows.CivilFromDays(days)
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, int64(m), 2)
	b = append(b, '-')
	return appendPad(b, int64(d), 2)
}

// appendClock appends HH:MM:SS[.ffffff] for µs since midnight.
func appendClock(b []byte, micros int64) []byte {
	sec := micros / 1e6
	frac := micros % 1e6
	b = appendPad(b, sec/3600, 2)
	b = append(b, ':')
	b = appendPad(b, sec/60%60, 2)
	b = append(b, ':')
	b = appendPad(b, sec%60, 2)
	if frac != 0 {
		b = append(b, '.')
		b = appendPad(b, frac, 6)
	}
	return b
}

// appendWall appends "YYYY-MM-DD HH:MM:SS[.ffffff]" for µs since the epoch
// read as a wall clock.
func appendWall(b []byte, wall int64, sep byte) []byte {
	days := rows.FloorDiv(wall, rows.MicrosPerDay)
	b = appendDate(b, days)
	b = append(b, sep)
	return appendClock(b, wall-days*rows.MicrosPerDay)
}

// appendOffset appends +HH:MM.
func appendOffset(b []byte, off int32) []byte {
	if off < 0 {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	b = appendPad(b, int64(off/3600), 2)
	b = append(b, ':')
	return appendPad(b, int64(off/60%60), 2)
}

// appendDecimal appends the exact decimal text of v.
func appendDecimal(b []byte, v rows.Value) []byte {
	if v.IsBigDecimal() || v.Scale() < 0 {
		return append(b, v.DecimalString()...)
	}
	n, scale := v.Raw(), int(v.Scale())
	if scale == 0 {
		return strconv.AppendInt(b, n, 10)
	}
	var tmp [24]byte
	digits := strconv.AppendUint(tmp[:0], absU(n), 10)
	if n < 0 {
		b = append(b, '-')
	}
	if len(digits) <= scale {
		b = append(b, '0', '.')
		for i := len(digits); i < scale; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-scale]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-scale:]...)
}

func absU(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

// appendFloat appends the shortest text that reads back as the same float.
func appendFloat(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendTextEscaped escapes backslash, tab, newline and carriage return
// as the text formats of MySQL's LOAD DATA and PostgreSQL's COPY read
// them; with nul, NUL as \0 too (LOAD DATA; COPY's text cannot hold NUL).
func appendTextEscaped(b, s []byte, nul bool) []byte {
	start := 0
	for i, c := range s {
		var esc byte
		switch c {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case 0:
			if !nul {
				continue
			}
			esc = '0'
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, '\\', esc)
		start = i + 1
	}
	return append(b, s[start:]...)
}
