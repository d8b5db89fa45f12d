import { describe, expect, it } from 'vitest';
import { businessCalendar, colombianHolidays, isBusinessDay } from '../../shared/domain/orders/business-calendar';

/**
 * The official Colombian public holidays ("días festivos"), written out from the law rather than
 * computed, to hold the `date-holidays` calendar against:
 * - Ley 51 de 1983 (art. 1): fixed days (Jan 1, May 1, Jul 20, Aug 7, Dec 8, Dec 25); the days
 *   moved to the following Monday (Jan 6, Mar 19, Jun 29, Aug 15, Oct 12, Nov 1, Nov 11, and
 *   Ascensión, Corpus Christi, Sagrado Corazón); Holy Thursday and Good Friday unmoved;
 *   http://www.secretariasenado.gov.co/senado/basedoc/ley_0051_1983.html
 * - Ley 2578 de 2026: Virgen de Chiquinquirá (Jul 9), moved to the following Monday, from 2026;
 *   https://lector.ramajudicial.gov.co/SIDN/NORMATIVA/TEXTOS_COMPLETOS/7_LEYES/LEYES%202026/Ley%202578%20de%202026.pdf
 * Each year below applies those rules by hand to its weekdays and Easter date. 18 holidays a
 * year, 19 from 2026; in 2025 San Pedro and Sagrado Corazón share Monday June 30 (17 days).
 */
const OFFICIAL: Record<number, string[]> = {
  2024: [
    '2024-01-01', // Año Nuevo
    '2024-01-08', // Reyes Magos
    '2024-03-25', // San José
    '2024-03-28', // Jueves Santo
    '2024-03-29', // Viernes Santo
    '2024-05-01', // Día del Trabajo
    '2024-05-13', // Ascensión del Señor
    '2024-06-03', // Corpus Christi
    '2024-06-10', // Sagrado Corazón
    '2024-07-01', // San Pedro y San Pablo
    '2024-07-20', // Independencia
    '2024-08-07', // Batalla de Boyacá
    '2024-08-19', // Asunción de la Virgen
    '2024-10-14', // Día de la Raza
    '2024-11-04', // Todos los Santos
    '2024-11-11', // Independencia de Cartagena
    '2024-12-08', // Inmaculada Concepción
    '2024-12-25', // Navidad
  ],
  2025: [
    '2025-01-01', // Año Nuevo
    '2025-01-06', // Reyes Magos
    '2025-03-24', // San José
    '2025-04-17', // Jueves Santo
    '2025-04-18', // Viernes Santo
    '2025-05-01', // Día del Trabajo
    '2025-06-02', // Ascensión del Señor
    '2025-06-23', // Corpus Christi
    '2025-06-30', // Sagrado Corazón and San Pedro y San Pablo
    '2025-07-20', // Independencia
    '2025-08-07', // Batalla de Boyacá
    '2025-08-18', // Asunción de la Virgen
    '2025-10-13', // Día de la Raza
    '2025-11-03', // Todos los Santos
    '2025-11-17', // Independencia de Cartagena
    '2025-12-08', // Inmaculada Concepción
    '2025-12-25', // Navidad
  ],
  2026: [
    '2026-01-01', // Año Nuevo
    '2026-01-12', // Reyes Magos
    '2026-03-23', // San José
    '2026-04-02', // Jueves Santo
    '2026-04-03', // Viernes Santo
    '2026-05-01', // Día del Trabajo
    '2026-05-18', // Ascensión del Señor
    '2026-06-08', // Corpus Christi
    '2026-06-15', // Sagrado Corazón
    '2026-06-29', // San Pedro y San Pablo
    '2026-07-13', // Virgen de Chiquinquirá (Ley 2578 de 2026)
    '2026-07-20', // Independencia
    '2026-08-07', // Batalla de Boyacá
    '2026-08-17', // Asunción de la Virgen
    '2026-10-12', // Día de la Raza
    '2026-11-02', // Todos los Santos
    '2026-11-16', // Independencia de Cartagena
    '2026-12-08', // Inmaculada Concepción
    '2026-12-25', // Navidad
  ],
  2027: [
    '2027-01-01', // Año Nuevo
    '2027-01-11', // Reyes Magos
    '2027-03-22', // San José
    '2027-03-25', // Jueves Santo
    '2027-03-26', // Viernes Santo
    '2027-05-01', // Día del Trabajo (a Saturday: not moved)
    '2027-05-10', // Ascensión del Señor
    '2027-05-31', // Corpus Christi
    '2027-06-07', // Sagrado Corazón
    '2027-07-05', // San Pedro y San Pablo
    '2027-07-12', // Virgen de Chiquinquirá (Ley 2578 de 2026)
    '2027-07-20', // Independencia
    '2027-08-07', // Batalla de Boyacá (a Saturday: not moved)
    '2027-08-16', // Asunción de la Virgen
    '2027-10-18', // Día de la Raza
    '2027-11-01', // Todos los Santos
    '2027-11-15', // Independencia de Cartagena
    '2027-12-08', // Inmaculada Concepción
    '2027-12-25', // Navidad (a Saturday)
  ],
};

describe('Colombian public holidays against the official list', () => {
  for (const [year, official] of Object.entries(OFFICIAL)) {
    it(`${year}: exactly the official days`, () => {
      expect(colombianHolidays(Number(year))).toEqual(official);
    });
  }

  it('every official holiday on a weekday is a day off, and the weekdays around it are not', () => {
    for (const official of Object.values(OFFICIAL)) {
      for (const date of official) {
        const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
        if (weekday >= 1 && weekday <= 5) expect(isBusinessDay(date), date).toBe(false);
      }
    }
    expect(isBusinessDay('2026-07-14')).toBe(true); // the Tuesday after Chiquinquirá
    expect(isBusinessDay('2025-07-01')).toBe(true);
  });

  it('leaves Easter Sunday out: a calendar that works Sundays works it', () => {
    expect(colombianHolidays(2026)).not.toContain('2026-04-05');
    const everyDay = businessCalendar({ workingWeekdays: [1, 2, 3, 4, 5, 6, 7] });
    expect(isBusinessDay('2026-04-05', everyDay)).toBe(true);
    expect(isBusinessDay('2026-04-03', everyDay)).toBe(false); // Good Friday
  });
});
