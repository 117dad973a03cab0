package jdbcurl

import "testing"

func TestUserInfoPassword(t *testing.T) {
	cases := []struct{ in, raw, decoded string }{
		{"postgres://u:PASS@h/db", "PASS", "PASS"},
		{"postgresql://user:p%40ss%2Fw@db.example.com:5432/app?sslmode=require", "p%40ss%2Fw", "p@ss/w"},
		{"mysql://u:p@ss/w@h:3306/db", "p@ss/w", "p@ss/w"},
		{"amqp://guest:guest@rabbit/vhost?x=a@b", "guest", "guest"},
		{"https://h/path?email=a@b.c", "", ""},
		{"postgres://u@h/db", "", ""},
		{"postgres://u:@h/db", "", ""},
		{"not a url: u:p@h", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		raw, decoded, ok := UserInfoPassword(c.in)
		if raw != c.raw || decoded != c.decoded || ok != (c.raw != "") {
			t.Errorf("%q: got %q, %q, %v; want %q, %q", c.in, raw, decoded, ok, c.raw, c.decoded)
		}
	}
}
