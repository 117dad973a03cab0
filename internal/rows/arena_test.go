package rows

import "testing"

func TestArena(t *testing.T) {
	ints := func(n int) []Value {
		v := make([]Value, n)
		for i := range v {
			v[i] = Int(int64(i))
		}
		return v
	}
	var a Arena
	for round := range 2 { // the second round reuses the chunks after Reset
		var got [][]Value
		var want [][]Value
		for _, n := range []int{0, 3, 1000, 30, 5000, 1} {
			items := ints(n)
			out := a.Copy(items)
			if len(out) != n || cap(out) != n {
				t.Fatalf("round %d: Copy of %d: len %d cap %d", round, n, len(out), cap(out))
			}
			got, want = append(got, out), append(want, items)
		}
		// Slices handed out do not overlap: each still holds its items.
		for i := range want {
			for j := range want[i] {
				if !got[i][j].Equal(want[i][j]) {
					t.Fatalf("round %d slice %d item %d: %v, want %v", round, i, j, got[i][j], want[i][j])
				}
			}
		}
		a.Reset()
	}
}
