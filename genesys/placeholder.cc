// Placeholder so the library has a source; replaced by real units.
namespace divaudit {}
