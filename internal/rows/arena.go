package rows

// Arena hands out value slices (the items of lists, the entries of maps)
// from chunks it keeps, valid until Reset. A decoder that fills one row
// again and again resets its arena per row, so a steady stream of rows
// allocates nothing for nested values.
type Arena struct {
	chunks [][]Value
	ci, co int // current chunk, offset in it
}

// Reset makes all the arena's memory free again: slices handed out before
// are overwritten by later Copy calls.
func (a *Arena) Reset() { a.ci, a.co = 0, 0 }

// Copy copies items into arena memory and returns that slice, with its
// capacity capped so that an append cannot run into the next slice.
func (a *Arena) Copy(items []Value) []Value {
	n := len(items)
	for {
		if a.ci == len(a.chunks) {
			a.chunks = append(a.chunks, make([]Value, max(1024, n)))
		}
		c := a.chunks[a.ci]
		if len(c)-a.co >= n {
			out := c[a.co : a.co+n : a.co+n]
			copy(out, items)
			a.co += n
			return out
		}
		if a.co == 0 { // a fresh chunk too small: replace it
			a.chunks[a.ci] = make([]Value, n)
			continue
		}
		a.ci++
		a.co = 0
	}
}
