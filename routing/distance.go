package routing

import (
	"math"
	"strconv"

	"github.com/orderhub/orderhub"
)

// earthRadiusKm is the IUGG mean Earth radius.
const earthRadiusKm = 6371.0088

// point is a coordinate in radians, plus its position on the unit sphere
// so that ranking by distance needs no trigonometry at all.
type point struct {
	lat, lon, cosLat float64
	x, y, z          float64
}

func toPoint(a orderhub.Address) (point, bool) {
	if !a.HasCoordinates() {
		return point{}, false
	}
	lat, lon := *a.Latitude, *a.Longitude
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) { // also rejects NaN
		return point{}, false
	}
	la, lo := lat*math.Pi/180, lon*math.Pi/180
	p := point{lat: la, lon: lo, cosLat: math.Cos(la)}
	p.x, p.y, p.z = p.cosLat*math.Cos(lo), p.cosLat*math.Sin(lo), math.Sin(la)
	return p, true
}

// chord2 is the squared straight-line distance between a and b on the unit
// sphere. It grows strictly with the great-circle distance, so ranking can
// compare it directly; chordKm turns it into kilometres for people.
func chord2(a, b point) float64 {
	dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
	return dx*dx + dy*dy + dz*dz
}

func chordKm(c2 float64) float64 {
	return 2 * earthRadiusKm * math.Asin(min(math.Sqrt(c2)/2, 1))
}

// hav is the haversine of the central angle between a and b; it grows with
// distance, so ranking can compare it directly.
func hav(a, b point) float64 {
	sLat := math.Sin((b.lat - a.lat) / 2)
	sLon := math.Sin((b.lon - a.lon) / 2)
	h := sLat*sLat + a.cosLat*b.cosLat*sLon*sLon
	return min(max(h, 0), 1)
}

func havKm(h float64) float64 { return 2 * earthRadiusKm * math.Asin(math.Sqrt(h)) }

// Distance returns the great-circle (haversine) distance between two
// addresses in kilometres. ok is false when either lacks valid coordinates.
// Distances are geography, not money, so a float is the right type.
func Distance(a, b orderhub.Address) (km float64, ok bool) {
	pa, ok1 := toPoint(a)
	pb, ok2 := toPoint(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return havKm(hav(pa, pb)), true
}

// FormatKm formats a distance for a merchant: whole kilometres with
// thousands separators ("3,940 km"), or one decimal under 100 km.
func FormatKm(km float64) string {
	if km < 100 {
		return strconv.FormatFloat(km, 'f', 1, 64) + " km"
	}
	return groupThousands(int64(math.Round(km))) + " km"
}

// groupThousands formats n with commas between groups of three digits.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
